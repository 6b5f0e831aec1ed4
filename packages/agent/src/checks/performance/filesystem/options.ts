// Options of the `filesystem` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

/** Kernel and in-memory filesystems: they hold no data an operator has to keep room for. */
export const DEFAULT_EXCLUDED_FS_TYPES: readonly string[] = [
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'devpts',
  'mqueue',
  'tmpfs',
  'devtmpfs',
  'securityfs',
  'debugfs',
  'tracefs',
  'pstore',
  'bpf',
  'autofs',
  'fusectl',
  'configfs',
  'hugetlbfs',
  'binfmt_misc',
  'nsfs',
  'squashfs',
  'ramfs',
  'efivarfs',
  'rpc_pipefs',
  'fuse.lxcfs',
  'fuse.gvfsd-fuse',
  'fuse.portal',
  'selinuxfs',
  'nfsd',
];

export const FILESYSTEM_DEFAULTS = {
  warningPercent: 85,
  criticalPercent: 95,
  inodeWarningPercent: 85,
  inodeCriticalPercent: 95,
} as const;

const MountPoint = Type.String({ minLength: 1, pattern: '^/', description: 'an absolute mount point' });
const Percent = (description: string, fallback: number) =>
  Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: fallback, description }));

export const FilesystemOptionsSchema = Type.Object(
  {
    mounts: Type.Optional(
      Type.Array(MountPoint, { description: 'only these mount points (default: every real filesystem)' }),
    ),
    excludeMounts: Type.Optional(Type.Array(MountPoint, { description: 'mount points to leave out' })),
    excludeFsTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'filesystem types to leave out (default: the pseudo filesystems, see README)',
      }),
    ),
    warningPercent: Percent(
      'space used, in %, from which the mount is warning',
      FILESYSTEM_DEFAULTS.warningPercent,
    ),
    criticalPercent: Percent(
      'space used, in %, from which the mount is critical',
      FILESYSTEM_DEFAULTS.criticalPercent,
    ),
    inodeWarningPercent: Percent(
      'inodes used, in %, from which the mount is warning',
      FILESYSTEM_DEFAULTS.inodeWarningPercent,
    ),
    inodeCriticalPercent: Percent(
      'inodes used, in %, from which the mount is critical',
      FILESYSTEM_DEFAULTS.inodeCriticalPercent,
    ),
  },
  { additionalProperties: false },
);
export type FilesystemOptions = Static<typeof FilesystemOptionsSchema>;

/** The options with every default filled in and mount points normalised (no trailing slash). */
export interface ResolvedFilesystemOptions {
  mounts: string[] | undefined;
  excludeMounts: string[];
  excludeFsTypes: readonly string[];
  warningPercent: number;
  criticalPercent: number;
  inodeWarningPercent: number;
  inodeCriticalPercent: number;
}

export function resolveFilesystemOptions(options: FilesystemOptions): ResolvedFilesystemOptions {
  return {
    mounts: options.mounts?.map(normaliseMountPoint),
    excludeMounts: (options.excludeMounts ?? []).map(normaliseMountPoint),
    excludeFsTypes: options.excludeFsTypes ?? DEFAULT_EXCLUDED_FS_TYPES,
    warningPercent: options.warningPercent ?? FILESYSTEM_DEFAULTS.warningPercent,
    criticalPercent: options.criticalPercent ?? FILESYSTEM_DEFAULTS.criticalPercent,
    inodeWarningPercent: options.inodeWarningPercent ?? FILESYSTEM_DEFAULTS.inodeWarningPercent,
    inodeCriticalPercent: options.inodeCriticalPercent ?? FILESYSTEM_DEFAULTS.inodeCriticalPercent,
  };
}

/** `/var/` and `/var` name the same mount point. */
export function normaliseMountPoint(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
