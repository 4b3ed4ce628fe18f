/**
 * Attached clusters (kubectl contexts, etcdctl endpoints): `raftctl cluster attach NAME` records a
 * cluster whose nodes run elsewhere in RAFTCTL_HOME/NAME/attached.json (0600, folder 0700): its
 * endpoints, the paths of its secret file and TLS files, and the cluster id learned when it was
 * attached. No data, no processes. (Its name, and the member cache beside it, are read by
 * attached-names.ts, which loads no client: shell completion reads them.) Also here: reading a secret file (refused when group or
 * others may read it) and TLS files, and the {@link RemoteCluster} of an attachment or of
 * one-off `--endpoints`.
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import type {ClientTlsOptions} from '../client/index.js'
import {RaftctlError} from '../common/errors.js'
import {ClusterPaths, clusterExists, raftctlHome} from './manifest.js'
import {attachmentFile, isAttached, rememberMembers} from './attached-names.js'
import {RemoteCluster, parseEndpoints} from './remote.js'

/** TLS files of a remote cluster (absolute paths). */
export interface TlsFiles {
  /** CA certificate(s) that sign the nodes' certificates (default: the system store). */
  readonly ca?: string
  /** Client certificate and key, for nodes that require mutual TLS. */
  readonly cert?: string
  readonly key?: string
}

/** RAFTCTL_HOME/NAME/attached.json. */
export interface Attachment {
  readonly version: 1
  readonly name: string
  readonly endpoints: readonly string[]
  /** Absolute path of the file holding the client secret; read (and its mode checked) at every use. */
  readonly secretFile: string
  readonly tls?: TlsFiles
  /** The cluster id the nodes reported when attached (null: they know none). */
  readonly clusterId: string | null
  readonly attachedAt: string
}

/** How to reach a remote cluster, as the command line gives it (`cluster attach`, or one-off flags). */
export interface RemoteOptions {
  /** Comma-separated node URLs. */
  readonly endpoints: string
  readonly secretFile: string
  readonly tls?: TlsFiles
}

/** Read an attachment record. CLUSTER_NOT_FOUND / CORRUPT. */
export function loadAttachment(name: string, home: string = raftctlHome()): Attachment {
  const file = attachmentFile(name, home)
  if (!existsSync(file)) throw new RaftctlError('CLUSTER_NOT_FOUND', `no attached cluster ${name} in ${home} (attach one with: raftctl cluster attach ${name} --endpoints URLS --secret-file F)`)
  let a: Attachment
  try {
    a = JSON.parse(readFileSync(file, 'utf8')) as Attachment
  } catch (err) {
    throw new RaftctlError('CORRUPT', `${file} is unreadable: ${(err as Error).message}`)
  }
  if (a.version !== 1 || !Array.isArray(a.endpoints) || typeof a.secretFile !== 'string') throw new RaftctlError('CORRUPT', `${file} is not a raftctl v1 attachment`)
  return a
}

/**
 * Read a client secret file: its first line. INSECURE_FILE (exit 2) when group or others may
 * read or write it (says `chmod 600`); BAD_INPUT when it is missing, unreadable or empty.
 */
export function readSecretFile(path: string, flag = '--secret-file'): string {
  let mode: number
  try {
    mode = statSync(path).mode
  } catch (err) {
    throw new RaftctlError('BAD_INPUT', `${flag} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  if ((mode & 0o077) !== 0) {
    throw new RaftctlError('INSECURE_FILE', `${flag} ${path} may be read by group or others (mode ${(mode & 0o777).toString(8)}): a cluster secret must be private; run: chmod 600 ${path}`)
  }
  const secret = (readFileSync(path, 'utf8').split('\n')[0] ?? '').trim()
  if (secret === '') throw new RaftctlError('BAD_INPUT', `${flag} ${path} is empty: its first line must hold the cluster's client secret`)
  return secret
}

/** The TLS options of `files`, read now. BAD_USAGE for a cert without a key (or the reverse); BAD_INPUT for a file that cannot be read. */
export function readTlsFiles(files: TlsFiles | undefined): ClientTlsOptions | undefined {
  if (files === undefined || (files.ca === undefined && files.cert === undefined && files.key === undefined)) return undefined
  if ((files.cert === undefined) !== (files.key === undefined)) throw new RaftctlError('BAD_USAGE', '--tls-cert and --tls-key go together')
  const read = (path: string | undefined, flag: string): Buffer | undefined => {
    if (path === undefined) return undefined
    try {
      return readFileSync(path)
    } catch (err) {
      throw new RaftctlError('BAD_INPUT', `${flag} ${path}: ${(err as Error).message}`)
    }
  }
  const ca = read(files.ca, '--tls-ca')
  const cert = read(files.cert, '--tls-cert')
  const key = read(files.key, '--tls-key')
  return {...(ca ? {ca} : {}), ...(cert ? {cert} : {}), ...(key ? {key} : {})}
}

/** TLS file paths made absolute (an attachment must not depend on the directory it was made in). */
function absoluteTls(tls: TlsFiles | undefined): TlsFiles | undefined {
  if (tls === undefined) return undefined
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(p))
  const out = {ca: abs(tls.ca), cert: abs(tls.cert), key: abs(tls.key)}
  return out.ca || out.cert || out.key ? JSON.parse(JSON.stringify(out)) as TlsFiles : undefined
}

/** The remote cluster of one-off flags (`--endpoints`, `--secret-file`, TLS flags), its identity checked ({@link RemoteCluster.identify}). */
export async function openEndpoints(options: RemoteOptions): Promise<RemoteCluster> {
  const endpoints = parseEndpoints(options.endpoints)
  const remote = new RemoteCluster({
    name: 'endpoints', kind: 'endpoints', endpoints,
    access: {secret: readSecretFile(options.secretFile), tls: readTlsFiles(options.tls)},
  })
  await remote.identify()
  return remote
}

/** The remote cluster of attachment `name` (its secret file's mode checked again). */
export function openAttached(name: string, home: string = raftctlHome()): RemoteCluster {
  const a = loadAttachment(name, home)
  return new RemoteCluster({
    name, kind: 'attached', endpoints: a.endpoints,
    access: {secret: readSecretFile(a.secretFile, `secret file of cluster ${name}:`), tls: readTlsFiles(a.tls), ...(a.clusterId ? {clusterId: a.clusterId} : {})},
    onMembers: (ids) => rememberMembers(name, ids, home),
    cacheDir: new ClusterPaths(name, home).dir,
  })
}

/** `raftctl cluster attach --json`. */
export interface AttachResult {
  readonly cluster: string
  readonly kind: 'attached'
  readonly endpoints: readonly string[]
  readonly clusterId: string | null
  readonly leader: string | null
  readonly term: number
  /** The members learned from the configuration. */
  readonly members: string[]
  readonly path: string
}

/**
 * Record the remote cluster `name`: check the endpoints (BAD_USAGE), the secret file
 * (INSECURE_FILE, BAD_INPUT) and that the endpoints answer as nodes of one cluster (the errors
 * of {@link RemoteCluster.status}: UNAVAILABLE, UNAUTHORIZED, TLS_FAILED, CLUSTER_MISMATCH), then
 * write the record with the cluster id they report. CLUSTER_EXISTS when `name` is taken by a
 * local or attached cluster.
 */
export async function attachCluster(name: string, options: RemoteOptions, home: string = raftctlHome()): Promise<AttachResult> {
  const paths = new ClusterPaths(name, home)
  if (clusterExists(paths)) throw new RaftctlError('CLUSTER_EXISTS', `${name} is a local cluster in ${home}; choose another name`)
  if (isAttached(name, home)) throw new RaftctlError('CLUSTER_EXISTS', `cluster ${name} is already attached (forget it first with: raftctl cluster detach ${name})`)
  const endpoints = parseEndpoints(options.endpoints)
  const secretFile = resolve(options.secretFile)
  const tls = absoluteTls(options.tls)
  let members: readonly string[] = []
  const remote = new RemoteCluster({name, kind: 'attached', endpoints, access: {secret: readSecretFile(secretFile), tls: readTlsFiles(tls)}, onMembers: (ids) => (members = ids)})
  const st = await remote.status()
  const record: Attachment = {
    version: 1, name, endpoints, secretFile, ...(tls ? {tls} : {}), clusterId: st.clusterId ?? null, attachedAt: new Date().toISOString(),
  }
  mkdirSync(paths.dir, {recursive: true, mode: 0o700})
  chmodSync(paths.dir, 0o700)
  const file = attachmentFile(name, home)
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, {mode: 0o600})
  renameSync(`${file}.tmp`, file)
  rememberMembers(name, members, home)
  return {cluster: name, kind: 'attached', endpoints, clusterId: record.clusterId, leader: st.leader, term: st.term, members: st.nodes.map((n) => n.id), path: file}
}

/** Forget the attached cluster `name` (its record only: nothing runs here); returns its folder. CLUSTER_NOT_FOUND; BAD_USAGE for a local cluster. */
export function detachCluster(name: string, home: string = raftctlHome()): string {
  const paths = new ClusterPaths(name, home)
  if (!isAttached(name, home)) {
    if (clusterExists(paths)) throw new RaftctlError('BAD_USAGE', `${name} is a local cluster, not an attached one: stop or destroy it with "raftctl cluster stop|destroy --cluster ${name}"`)
    throw new RaftctlError('CLUSTER_NOT_FOUND', `no attached cluster ${name} in ${home}`)
  }
  rmSync(paths.dir, {recursive: true, force: true})
  return paths.dir
}
