import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import type { DesktopScript } from '../support/fixtures';
import { BuildPage, CustomizePage, DonePage, ModePage, ReleasePage, ReviewPage, WritePage } from './screens';

/**
 * The app as a user sees it: the wizard's steps, the summary beside them, and one page object per
 * screen. Arriving on a screen saves a screenshot (a test artifact) and runs axe-core on it; a
 * serious or critical violation fails the test.
 */
export class AppPage {
  private shots = 0;
  readonly release = new ReleasePage(this);
  readonly mode = new ModePage(this);
  readonly customize = new CustomizePage(this);
  readonly review = new ReviewPage(this);
  readonly build = new BuildPage(this);
  readonly write = new WritePage(this);
  readonly done = new DonePage(this);

  constructor(
    readonly page: Page,
    private readonly info: TestInfo,
    /** Answers the next native file dialog. */
    readonly desktop: DesktopScript,
  ) {}

  heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }

  /** The screen on show (the step list beside it repeats step names such as "Build"). */
  main(): Locator {
    return this.page.getByRole('main');
  }

  summary(): Locator {
    return this.page.getByRole('complementary', { name: 'Your choices' });
  }

  /** Waits for a screen by its heading, then records it (screenshot + accessibility check). */
  async arrive(name: string, heading: string | RegExp): Promise<void> {
    await expect(this.heading()).toHaveText(heading);
    await this.record(name);
  }

  async record(name: string): Promise<void> {
    const file = this.info.outputPath(`${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    await this.info.attach(name, { path: file, contentType: 'image/png' });
    const result = await new AxeBuilder({ page: this.page }).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `axe on ${name}`).toEqual([]);
  }

  async next(): Promise<void> {
    await this.page.getByRole('button', { name: 'Next' }).click();
  }

  /** Why Next is disabled, as the footer says it. */
  async nextBlockedBecause(): Promise<string> {
    const next = this.page.getByRole('button', { name: 'Next' });
    await expect(next).toBeDisabled();
    const id = await next.getAttribute('aria-describedby');
    return (await this.page.locator(`#${id}`).textContent()) ?? '';
  }
}
