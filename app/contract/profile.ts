import { z } from 'zod';
import { FindingSchema } from './build';

/**
 * A profile: everything a technician adds to a release for one site (mode, certificates,
 * configuration, network and kernel options). Saved as YAML or JSON, shared and diffed by support
 * staff, so it holds no secret: the standalone password is supplied at build time only.
 *
 * The schemas here are structural (what the forms show); the engine's validator (app/profile/)
 * turns meaning into findings with codes, so that one bad value never hides the others.
 */

export const PROFILE_SCHEMA_VERSION = 2;

/** Upper bounds the validator reports as findings; the schema's own limits only stop absurd input. */
export const PROFILE_LIMITS = {
  /** A whole profile file. */
  fileBytes: 8 << 20,
  /** A certificate file (a CA is 1-4 KiB; a bundle of a few dozen still fits). */
  certificateBytes: 64 << 10,
  /** A config file or a script (env_config, Caddyfile, config-file, install-os.sh is ~45 KiB). */
  textFileBytes: 1 << 20,
  /** All installer scripts together. */
  installerBytes: 4 << 20,
} as const;

/** A file carried by content, with the name it had where it came from (a plain name, no folders). */
export const EmbeddedFileSchema = z.object({
  name: z.string().max(255),
  content: z.string().max(PROFILE_LIMITS.fileBytes),
});
export type EmbeddedFile = z.infer<typeof EmbeddedFileSchema>;

/** The env_config keys the Bootkit's services read (DOMAIN.md §2), in the order they are written. */
export const EMF_SERVICE_KEYS = [
  'KEYCLOAK_URL',
  'release_svc',
  'oci_release_svc',
  'tink_stack_svc',
  'tink_server_svc',
  'onboarding_manager_svc',
  'onboarding_stream_svc',
  'OBM_PORT',
  'logging_svc',
] as const;
export const EmfServiceKeySchema = z.enum(EMF_SERVICE_KEYS);
export type EmfServiceKey = z.infer<typeof EmfServiceKeySchema>;

/** Per-service values that override what the orchestrator domain implies. */
export const EmfServicesSchema = z.partialRecord(EmfServiceKeySchema, z.string().max(512));
export type EmfServices = z.infer<typeof EmfServicesSchema>;

export const ProxySchema = z.object({
  /** `http://host:port` — for both http_proxy and HTTP_PROXY. */
  http: z.string().max(2048).optional(),
  https: z.string().max(2048).optional(),
  /** Comma list of hosts, domains (`.example.com`) and networks (`10.0.0.0/8`). */
  noProxy: z.string().max(4096).optional(),
});
export type Proxy = z.infer<typeof ProxySchema>;

/** One `/etc/hosts` line the node adds before onboarding (`EXTRA_HOSTS`). */
export const ExtraHostSchema = z.object({
  ip: z.string().max(64),
  names: z.array(z.string().max(253)).max(32),
});
export type ExtraHost = z.infer<typeof ExtraHostSchema>;

/**
 * How tink-worker and device-discovery learn `worker_id`, the MAC of the provisioning NIC:
 * typed by the technician (media for one device), or chosen by the node at boot
 * (docs/worker-id.md). The optional rule narrows the candidates.
 */
export const WorkerIdSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('mac'), mac: z.string().max(64) }),
  z.object({
    mode: z.literal('auto'),
    /** Shell glob on the interface name, e.g. `enp1s*`. */
    interfaceMatch: z.string().max(64).optional(),
    /** First octets of the MAC, e.g. `52:54:00`. */
    macPrefix: z.string().max(17).optional(),
    /** How long the node waits for a DHCP lease before it falls back to link state. */
    leaseWaitSeconds: z.number().int().min(0).max(3600).optional(),
  }),
]);
export type WorkerId = z.infer<typeof WorkerIdSchema>;

const GenerateSchema = z.object({ source: z.literal('generate') });

export const CaddyConfigSchema = z.discriminatedUnion('source', [
  GenerateSchema,
  z.object({ source: z.literal('import'), caddyfile: EmbeddedFileSchema, runScript: EmbeddedFileSchema }),
]);
export type CaddyConfig = z.infer<typeof CaddyConfigSchema>;

export const FluentBitConfigSchema = z.discriminatedUnion('source', [
  GenerateSchema,
  z.object({ source: z.literal('import'), config: EmbeddedFileSchema, runScript: EmbeddedFileSchema, parsers: EmbeddedFileSchema }),
]);
export type FluentBitConfig = z.infer<typeof FluentBitConfigSchema>;

export const EmfSettingsSchema = z.object({
  /** The orchestrator's cluster domain; fills every service name not overridden. */
  orchestratorDomain: z.string().max(253).optional(),
  services: EmfServicesSchema.optional(),
  /** Further env_config keys kept from an imported file, written after the known ones. */
  extraEnv: z.record(z.string().max(128), z.string().max(4096)).optional(),
  extraHosts: z.array(ExtraHostSchema).max(64).optional(),
  certificates: z.object({
    /** The orchestrator's CA (`server_cert.pem`, first in `ca.pem`). */
    orchestratorCa: EmbeddedFileSchema.optional(),
    /** The provisioning (tink-stack) CA, appended to `ca.pem`. */
    provisioningCa: EmbeddedFileSchema.optional(),
  }),
  caddy: CaddyConfigSchema,
  fluentBit: FluentBitConfigSchema,
  helpers: z
    .object({
      waitForIp: EmbeddedFileSchema.optional(),
      reportBootStatistics: EmbeddedFileSchema.optional(),
    })
    .optional(),
  workerId: WorkerIdSchema,
  tink: z
    .object({
      workerImage: z.string().max(512).optional(),
      isDebug: z.boolean().optional(),
      /** A Go duration, e.g. `120s`. */
      timeout: z.string().max(32).optional(),
    })
    .optional(),
});
export type EmfSettings = z.infer<typeof EmfSettingsSchema>;

export const HOST_TYPES = ['kubernetes', 'container'] as const;

export const WriteFileSchema = z.object({
  path: z.string().max(4096),
  /** Octal, as cloud-init writes it: `'0644'`. */
  permissions: z.string().max(8).optional(),
  content: z.string().max(PROFILE_LIMITS.textFileBytes),
});
export type WriteFile = z.infer<typeof WriteFileSchema>;

/** The standalone installer's `config-file`, as fields (DOMAIN.md §3). Proxies come from `network.proxy`. */
export const ConfigFieldsSchema = z.object({
  userName: z.string().max(64).optional(),
  hostType: z.enum(HOST_TYPES).optional(),
  /** The full public key line (`ssh-ed25519 AAAA… comment`). */
  sshKey: z.string().max(16384).optional(),
  /** Used by the installer only when no DHCP server answers. All four or none. */
  staticIp: z
    .object({
      address: z.string().max(64).optional(),
      prefixLength: z.number().int().optional(),
      gateway: z.string().max(64).optional(),
      dnsServers: z.array(z.string().max(64)).max(8).optional(),
    })
    .optional(),
  ntpServers: z.array(z.string().max(253)).max(16).optional(),
  /** Number of 2 MiB huge pages for guest VMs. */
  hugePages: z.number().int().optional(),
  lvmSizeGb: z.number().int().optional(),
  /** `ven`: the node is a virtual machine (undocumented upstream key `deploy_envmt`). */
  deployEnvironment: z.enum(['real', 'ven']).optional(),
  services: z.object({ enable: z.array(z.string().max(256)).max(128), disable: z.array(z.string().max(256)).max(128) }).optional(),
  writeFiles: z.array(WriteFileSchema).max(128).optional(),
  runcmd: z.array(z.string().max(4096)).max(256).optional(),
});
export type ConfigFields = z.infer<typeof ConfigFieldsSchema>;

export const ConfigFileSourceSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('fields'), fields: ConfigFieldsSchema }),
  z.object({ source: z.literal('import'), file: EmbeddedFileSchema }),
]);
export type ConfigFileSource = z.infer<typeof ConfigFileSourceSchema>;

export const StandaloneSettingsSchema = z.object({
  /** The EMT-S installer scripts (`install-os.sh` and its helpers), copied to /etc/scripts/. */
  installer: z.object({ files: z.array(EmbeddedFileSchema).max(128) }),
  configFile: ConfigFileSourceSchema,
  /** Paths on this computer; relative paths are relative to the profile file. */
  osImage: z.object({ path: z.string().max(4096) }).optional(),
  userAppsDir: z.string().max(4096).optional(),
});
export type StandaloneSettings = z.infer<typeof StandaloneSettingsSchema>;

const common = {
  schemaVersion: z.literal(PROFILE_SCHEMA_VERSION),
  name: z.string().min(1).max(200),
  notes: z.string().max(10_000).optional(),
  network: z.object({ proxy: ProxySchema.optional() }).optional(),
  /** Extra kernel parameters (`key=value` or flags), added after the mode's own. */
  kernel: z.object({ extraArgs: z.array(z.string().max(1024)).max(64) }).optional(),
};

export const EmfProfileSchema = z.strictObject({ ...common, mode: z.literal('emf'), emf: EmfSettingsSchema });
export const StandaloneProfileSchema = z.strictObject({ ...common, mode: z.literal('standalone'), standalone: StandaloneSettingsSchema });

export const ProfileSchema = z.discriminatedUnion('mode', [EmfProfileSchema, StandaloneProfileSchema]);
export type Profile = z.infer<typeof ProfileSchema>;
export type EmfProfile = z.infer<typeof EmfProfileSchema>;
export type StandaloneProfile = z.infer<typeof StandaloneProfileSchema>;

/** One line of the plain-language summary of what goes on the media. */
export const SummaryItemSchema = z.object({
  topic: z.enum(['mode', 'network', 'services', 'certificates', 'files', 'units', 'kernel', 'installer', 'stick', 'caution']),
  text: z.string(),
});
export type SummaryItem = z.infer<typeof SummaryItemSchema>;

/** What the review screen shows: findings, the summary, and the files the overlay adds. */
export const ProfilePreviewSchema = z.object({
  isRenderable: z.boolean(),
  findings: z.array(FindingSchema),
  summary: z.array(SummaryItemSchema),
  kernelArgs: z.array(z.string()),
  overlay: z.array(
    z.object({
      path: z.string(),
      kind: z.enum(['file', 'dir', 'symlink']),
      mode: z.string().regex(/^[0-7]{3,4}$/),
      size: z.number().int().nonnegative().optional(),
      target: z.string().optional(),
    }),
  ),
});
export type ProfilePreview = z.infer<typeof ProfilePreviewSchema>;
