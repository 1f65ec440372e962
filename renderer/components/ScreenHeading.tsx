import { useEffect, useRef } from 'react';

/**
 * The heading of the screen on show. It takes the focus when the screen appears, so that a
 * keyboard or screen-reader user lands at the top of the new step rather than on a vanished button.
 */
export function ScreenHeading({ title }: { title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h1 id="screen-title" tabIndex={-1} ref={ref}>
      {title}
    </h1>
  );
}
