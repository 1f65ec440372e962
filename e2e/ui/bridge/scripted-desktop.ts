import type { DialogLike, OpenOptions, SaveOptions } from '../../../main/dialogs';

/**
 * The operating system's side of the desktop, which a browser cannot show: file dialogs answered
 * by the test (a path, or a cancel), and the shell's "open this" calls recorded. Everything behind
 * them (reading the chosen file, writing a report, the allow-list of links) is main's real code.
 */
export class ScriptedDesktop implements DialogLike {
  private readonly answers: Array<string | null> = [];
  readonly asked: Array<OpenOptions | SaveOptions> = [];
  readonly opened: string[] = [];

  /** The next dialog returns this path (null: the user cancels). */
  answer(path: string | null): void {
    this.answers.push(path);
  }

  private next(title: string): string | null {
    if (this.answers.length === 0) throw new Error(`the test did not answer the dialog "${title}"`);
    return this.answers.shift()!;
  }

  async showOpenDialog(options: OpenOptions) {
    this.asked.push(options);
    const path = this.next(options.title);
    return path === null ? { canceled: true, filePaths: [] } : { canceled: false, filePaths: [path] };
  }

  async showSaveDialog(options: SaveOptions) {
    this.asked.push(options);
    const path = this.next(options.title);
    return path === null ? { canceled: true } : { canceled: false, filePath: path };
  }

  readonly shell = {
    openExternal: async (url: string) => void this.opened.push(url),
    openPath: async (path: string) => (this.opened.push(path), ''),
    showItemInFolder: (path: string) => void this.opened.push(path),
  };
}
