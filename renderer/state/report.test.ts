import { describe, expect, it } from 'vitest';
import { buildResult } from '../testing/fixtures';
import { newProfile } from './profile-edit';
import { reportFileName, writeReport } from './report';

describe('write report', () => {
  const now = new Date('2026-07-01T12:00:00Z');
  const target = { device: '/dev/sdb', name: 'SanDisk (sdb)', ok: true, phase: 'done' as const, bytesWritten: 10, bytesVerified: 10, bytesSkipped: 0, isVerified: true, isCacheBypassed: true, isEjected: true, isWiped: false, writeSeconds: 1, verifySeconds: 1, findings: [], error: null };

  it('says what was built from what and how each stick ended, without secrets', () => {
    const r = writeReport({ appInfo: { name: 'EMT Media Builder', version: '0.1.0', platform: 'linux', logFile: '/l', isTestBridge: false }, releaseId: 'emb-20260526', profile: newProfile('standalone', 'Site A'), buildResult: buildResult(), writeResult: { ok: true, size: 10, targets: [target], writerMaxRssBytes: 0 } }, now);
    expect(r).toMatchObject({ createdAt: '2026-07-01T12:00:00.000Z', mode: 'standalone', profile: { name: 'Site A' }, image: { sha256: 'a'.repeat(64) }, sticks: [{ device: '/dev/sdb', ok: true, isVerified: true }] });
    expect(JSON.stringify(r)).not.toMatch(/password/i);
  });

  it('names the file after the profile and the date', () => {
    expect(reportFileName({ profile: newProfile('emf', 'Site A/B'), releaseId: null }, now)).toBe('Site-A-B-report-2026-07-01.json');
  });
});
