import type { WorkerId } from '../../contract/profile';
import type { Overlay } from '../../media/overlay';
import { template } from '../templates';

/** The unit that chooses the provisioning NIC at boot (docs/worker-id.md). */
export const WORKER_ID_UNIT = 'emt-worker-id.service';
export const WORKER_ID_SCRIPT = '/etc/emt-media/select-worker-id.sh';
export const WORKER_ID_CONF = '/etc/emt-media/worker-id.conf';
export const DEFAULT_LEASE_WAIT_S = 90;
/** The services that read worker_id from /proc/cmdline. */
const READERS = ['device-discovery.service', 'tink-worker.service'];

/** Files, unit and ordering of the automatic worker_id, for a validated `auto` rule. */
export function renderWorkerIdSelector(rule: Extract<WorkerId, { mode: 'auto' }>, overlay: Overlay): void {
  const wait = rule.leaseWaitSeconds ?? DEFAULT_LEASE_WAIT_S;
  overlay.addFile(WORKER_ID_SCRIPT, template('worker-id/select-worker-id.sh'), 0o755);
  overlay.addFile(
    WORKER_ID_CONF,
    template('worker-id/worker-id.conf', {
      interface_match: rule.interfaceMatch ?? '',
      mac_prefix: (rule.macPrefix ?? '').toLowerCase(),
      lease_wait: String(wait),
    }),
    0o644,
  );
  // The selector waits for a lease, then settles for a few seconds: give it room beyond that.
  overlay.addUnit(WORKER_ID_UNIT, template('worker-id/emt-worker-id.service', { timeout_seconds: String(wait + 60) }), 'multi-user.target');
  for (const unit of READERS) overlay.addDropIn(unit, '45-worker-id.conf', template('worker-id/after-worker-id.conf'));
}
