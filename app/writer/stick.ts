import type { Drive, FlashPhase, FlashTarget, SafetyFinding, TargetResult } from '../contract/drives';
import type { ProgressEvent } from '../contract/jobs';
import { EmtError, toEmtError } from '../errors';
import { ProgressMeter } from '../jobs/progress';
import { findListedDrive, notListedError } from '../flash/drives';
import { blockingFindings, checkTarget, findingError, type SafetyContext } from '../flash/safety';
import { openDevice, type Device } from './device';
import type { WriteTarget } from './fanout';
import { platform } from './platform';
import { wipeEnds } from './wipe';

/** One target of a job, from the safety check to its result. */
export class Stick implements WriteTarget {
  drive: Drive | null = null;
  private device: Device | null = null;
  findings: SafetyFinding[] = [];
  phase: FlashPhase = 'check';
  error: EmtError | null = null;
  bytesWritten = 0;
  bytesVerified = 0;
  isVerified = false;
  isWiped = false;
  isEjected = false;
  /** Reads go around the OS cache (false for an image file on tmpfs). */
  isCacheBypassed = false;
  /** The device was opened for writing: from here on a failure or cancel wipes it. */
  isTouched = false;
  writeSeconds = 0;
  verifySeconds = 0;
  private meter: ProgressMeter | null = null;

  constructor(
    readonly request: FlashTarget,
    private readonly emit: (e: ProgressEvent) => void,
  ) {}

  get dev(): Device {
    if (!this.device) throw new Error('stick used before it was opened');
    return this.device;
  }

  get isLive(): boolean {
    return !this.error && !!this.drive;
  }

  get label(): string {
    return this.drive?.name ?? this.request.device;
  }

  /** Find the drive in the writer's own listing and apply every safety rule to it. */
  async check(drives: readonly Drive[], size: number, context: SafetyContext, acceptWarnings: boolean, isWrite: boolean): Promise<void> {
    const drive = await findListedDrive(drives, this.request.device);
    if (!drive) {
      this.error = notListedError(this.request.device);
      return;
    }
    this.drive = drive;
    this.findings = checkTarget(drive, { size }, { ...context, typedName: this.request.typedName });
    // Reading a stick back changes nothing: only a stick too small to hold the image stops a verify.
    const blocking = isWrite ? blockingFindings(this.findings, { acceptWarnings })[0] : this.findings.find((f) => f.code === 'E_DRIVE_TOO_SMALL');
    if (blocking) this.error = findingError(blocking);
  }

  startPhase(phase: FlashPhase, total: number): void {
    this.phase = phase;
    this.meter = new ProgressMeter(phase, total, this.emit, { target: this.drive?.device ?? this.request.device });
    this.meter.set(0);
  }

  progress(bytes: number): void {
    this.meter?.add(bytes);
  }

  endPhase(): void {
    this.meter?.finish();
  }

  onWritten(bytes: number): void {
    this.progress(bytes);
  }

  fail(e: unknown): void {
    this.error ??= toEmtError(e, `Writing ${this.label} failed`);
  }

  /** For a write: unmount, open exclusively and wipe both ends before anything else. For a verify: open to read. */
  async prepare(isWrite: boolean, zero: Buffer): Promise<void> {
    const drive = this.drive!;
    try {
      if (!isWrite) {
        this.device = await openDevice(drive, 'read');
        this.isCacheBypassed = this.device.isReadDirect;
        return;
      }
      this.startPhase('unmount', 1);
      await platform.unmount(drive);
      this.progress(1);
      this.endPhase();
      this.device = await openDevice(drive);
      this.isCacheBypassed = this.device.isReadDirect;
      this.isTouched = true;
      await wipeEnds(this.device, drive.size, zero);
    } catch (e) {
      this.fail(e);
    }
  }

  /** After a failure or cancel of a write: wipe, unless the stick is gone. Then close; eject on success. */
  async finish(isWrite: boolean, eject: boolean, zero: Buffer): Promise<void> {
    if (!this.device) return;
    if (this.error && isWrite && this.isTouched && this.error.code !== 'E_DRIVE_GONE') {
      this.startPhase('wipe', 1);
      this.isWiped = await wipeEnds(this.device, this.drive!.size, zero).then(
        () => true,
        () => false,
      );
      this.endPhase();
    }
    await this.device.close();
    this.device = null;
    if (!this.error && eject) {
      this.startPhase('eject', 1);
      this.isEjected = await platform.eject(this.drive!).catch(() => false);
      this.progress(1);
      this.endPhase();
    }
    if (!this.error) this.phase = 'done';
  }

  result(skipped: number, isWrite: boolean): TargetResult {
    return {
      device: this.drive?.device ?? this.request.device,
      name: this.label,
      ok: !this.error,
      phase: this.phase,
      bytesWritten: this.bytesWritten,
      bytesVerified: this.bytesVerified,
      bytesSkipped: skipped,
      isVerified: this.isVerified,
      isCacheBypassed: this.isCacheBypassed,
      isEjected: this.isEjected,
      isWiped: this.isWiped,
      writeSeconds: this.writeSeconds,
      verifySeconds: this.verifySeconds,
      findings: this.findings,
      error: this.error ? this.describeError(isWrite).toJSON() : null,
    };
  }

  private describeError(isWrite: boolean): EmtError {
    const e = this.error!;
    if (e.code !== 'E_CANCELLED' || !isWrite) return e;
    if (!this.isTouched) return new EmtError('E_CANCELLED', `The write was cancelled before anything was written to ${this.label}.`, 'Start it again when you are ready.');
    if (this.isWiped) {
      return new EmtError('E_CANCELLED', `The write was cancelled and ${this.label} was wiped at the start, so it will not boot.`, 'Write it again, or restore it to use it as a normal drive.');
    }
    return new EmtError('E_CANCELLED', `The write was cancelled and ${this.label} could not be wiped, so it may hold part of the image.`, 'Restore the stick before using it.');
  }
}
