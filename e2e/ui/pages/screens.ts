import { expect, type Locator } from '@playwright/test';
import type { AppPage } from './app-page';

/** One page object per wizard screen: what a user does there, in the words the screen uses. */

export class ReleasePage {
  constructor(private readonly app: AppPage) {}

  async open(): Promise<void> {
    await this.app.arrive('release', 'Choose a Bootkit release');
  }

  row(buildDate: string): Locator {
    const iso = `${buildDate.slice(0, 4)}-${buildDate.slice(4, 6)}-${buildDate.slice(6)}`;
    return this.app.main().getByRole('listitem').filter({ has: this.app.page.getByRole('radio', { name: new RegExp(`built ${iso}`) }) });
  }

  /** Starts the download; with `isSlow` (the server trickles) it waits to see the progress bar first. */
  async download(buildDate: string, options: { isSlow?: boolean } = {}): Promise<void> {
    const row = this.row(buildDate);
    await row.getByRole('button', { name: 'Download' }).click();
    if (options.isSlow) {
      await expect(row.getByRole('progressbar', { name: /^Downloading/ })).toBeVisible();
      await expect(row).toContainText('Downloading');
    }
    // Exactly "Downloaded": a plain string would also match the "Not downloaded" badge it replaces.
    await expect(row.getByRole('listitem').filter({ hasText: /^Downloaded$/ })).toBeVisible({ timeout: 120_000 });
  }

  async choose(buildDate: string): Promise<void> {
    await this.row(buildDate).getByRole('radio').check();
  }
}

export class ModePage {
  constructor(private readonly app: AppPage) {}

  async choose(mode: 'EMF onboarding' | 'Standalone install (EMT-S)'): Promise<void> {
    await this.app.arrive('mode', 'What should the stick do?');
    await this.app.main().getByRole('radio', { name: mode }).check();
  }
}

export class CustomizePage {
  constructor(private readonly app: AppPage) {}

  async open(): Promise<void> {
    await this.app.arrive('customize', /^Customize/);
  }

  field(label: string): Locator {
    return this.app.main().getByRole('textbox', { name: label, exact: true });
  }

  async fill(label: string, value: string): Promise<void> {
    await this.field(label).fill(value);
  }

  /** The box of a file field (a certificate, a config), found by its label. */
  fileField(label: string): Locator {
    return this.app.main().locator('.file-drop').filter({ has: this.app.page.getByText(label, { exact: true }) });
  }

  /** Chooses a file through the native dialog, which the test answers. */
  async chooseFile(label: string, path: string): Promise<void> {
    await this.app.desktop.answer(path);
    await this.fileField(label).getByRole('button', { name: /Choose file…|Replace…/ }).click();
  }

  status(): Locator {
    return this.app.main().locator('.check-status');
  }

  async waitChecked(text: string | RegExp): Promise<void> {
    await expect(this.status()).toHaveText(text);
  }
}

export class ReviewPage {
  constructor(private readonly app: AppPage) {}

  async open(): Promise<void> {
    await this.app.arrive('review', 'Review what goes onto the media');
  }

  files(): Locator {
    return this.app.main().locator('.overlay-table tbody tr');
  }

  /** Waits until the check against the release is done (a first read of the release takes seconds). */
  async waitChecked(): Promise<void> {
    await expect(this.app.main().getByText(/^Checked against /)).toBeVisible({ timeout: 120_000 });
  }

  secureBoot(): Locator {
    return this.app.main().getByTestId('secure-boot');
  }

  mediaSize(): Locator {
    return this.app.main().getByTestId('media-size');
  }

  findings(): Locator {
    return this.app.main().locator('ul.findings > li');
  }

  /** Chooses a signed boot chain folder through the native folder dialog, which the test answers. */
  async chooseBootChain(dir: string): Promise<void> {
    await this.app.desktop.answer(dir);
    await this.app.main().getByRole('button', { name: 'Use a signed boot chain…' }).click();
  }
}

export class BuildPage {
  constructor(private readonly app: AppPage) {}

  async open(): Promise<void> {
    await this.app.arrive('build', 'Build the media');
  }

  async build(output: string): Promise<void> {
    await this.app.desktop.answer(output);
    await this.app.main().getByRole('button', { name: 'Choose…' }).click();
    await expect(this.app.page.getByTestId('build-output')).toHaveText(output);
    await this.app.main().getByRole('button', { name: 'Build', exact: true }).click();
  }
}

export class WritePage {
  constructor(private readonly app: AppPage) {}

  async open(): Promise<void> {
    await this.app.arrive('write', 'Write to USB sticks');
  }

  stick(device: string): Locator {
    return this.app.main().locator(`li.drive[data-device="${device}"]`);
  }

  async choose(device: string): Promise<void> {
    await this.stick(device).getByRole('checkbox').check();
  }

  startButton(): Locator {
    return this.app.main().getByRole('button', { name: /^Write( \d+ sticks)?$/ });
  }

  progress(): Locator {
    return this.app.main().getByRole('list', { name: 'Sticks' }).getByRole('progressbar');
  }
}

export class DonePage {
  constructor(private readonly app: AppPage) {}

  async open(): Promise<void> {
    await this.app.arrive('done', 'Done');
  }

  result(device: string): Locator {
    return this.app.main().locator(`tr[data-device="${device}"]`);
  }

  ejectAllButton(): Locator {
    return this.app.main().getByRole('button', { name: 'Eject all sticks' });
  }
}
