import { isMap, isNode, isScalar, isSeq, type Document } from 'yaml';

/**
 * Comments in a profile file are the technician's notes ("# CA renewed 2026-03, ticket 4411"):
 * a save keeps them where their keys are. A new file gets short explanations instead.
 */

export function carryComments(from: Document, to: Document): void {
  to.commentBefore = from.commentBefore;
  to.comment = from.comment;
  carry(from.contents, to.contents);
}

function keyOf(key: unknown): unknown {
  return isScalar(key) ? key.value : key;
}

function copy(a: unknown, b: unknown): void {
  if (!isNode(a) || !isNode(b)) return;
  b.commentBefore = a.commentBefore;
  b.comment = a.comment;
  b.spaceBefore = a.spaceBefore;
}

function carry(from: unknown, to: unknown): void {
  if (isMap(from) && isMap(to)) {
    for (const pair of to.items) {
      const old = from.items.find((p) => keyOf(p.key) === keyOf(pair.key));
      if (!old) continue;
      copy(old.key, pair.key);
      copy(old.value, pair.value);
      carry(old.value, pair.value);
    }
  } else if (isSeq(from) && isSeq(to)) {
    to.items.forEach((item, i) => {
      copy(from.items[i], item);
      carry(from.items[i], item);
    });
  }
}

const NOTES: Record<string, string> = {
  schemaVersion: 'Profile format version; files from older versions are upgraded when saved.',
  name: 'A name support staff recognise, such as the site.',
  mode: 'emf: onboard through an Edge Manageability Framework orchestrator. standalone: install EMT from the stick (EMT-S).',
  network: 'Proxies the node uses (env_config or config-file, and the kernel command line).',
  kernel: 'Extra kernel parameters, added after the ones the mode needs.',
  'emf.orchestratorDomain': 'The orchestrator cluster domain; it fills every service below that is not set.',
  'emf.services': 'Per-service values (host or host:port) that override the domain.',
  'emf.certificates': 'PEM text of the orchestrator CA and the optional provisioning CA, with their original names.',
  'emf.caddy': 'generate: from the services above. import: the orchestrator\'s own Caddyfile and caddy_run.sh.',
  'emf.fluentBit': 'generate: logs go through Caddy to logging_svc. import: the orchestrator\'s own files.',
  'emf.workerId': 'mac: the MAC of the NIC that onboards (media for one device). auto: the node picks it at boot (docs/worker-id.md).',
  'standalone.installer': 'The EMT-S installer scripts, install-os.sh and its helpers (emt-media profile import --installer DIR).',
  'standalone.configFile': 'fields: written from these values. import: your existing config-file, checked.',
  'standalone.osImage': 'The EMT OS image (*.raw.gz, with its .sha256sum beside it), a path on this computer.',
  'standalone.userAppsDir': 'Optional folder copied to the user-apps partition of the stick.',
};

export function explainNewDocument(doc: Document): void {
  doc.commentBefore = ' EMT Media Builder profile. Holds no password: it is asked when the media is built.';
  annotate(doc.contents, '');
}

function annotate(node: unknown, path: string): void {
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const p = path ? `${path}.${String(keyOf(pair.key))}` : String(keyOf(pair.key));
    const note = NOTES[p];
    if (note && isNode(pair.key)) pair.key.commentBefore = ` ${note}`;
    annotate(pair.value, p);
  }
}
