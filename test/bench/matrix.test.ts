/**
 * The rules of `bench:compare --matrix` (src/bench/matrix.ts): the cells in running order, a
 * cell judged failed with its reason and kept in the table, the plots along each varied
 * dimension with failed cells as gaps, the targets marked held or missed, etcdctl's output
 * parsed, and the docs section replaced only between its markers.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {
  MATRIX_BEGIN, MATRIX_END, failedRow, formatBytes, matrixCells, matrixPlots, matrixSection, matrixTable, matrixTargets,
  parseBashTimes, parseCount, parseEtcdctlPerf, parseList, parseOp, parseValueSize, referencePoint, replaceBetweenMarkers, rowFromMeasure, rowFromRepeats,
  type CellMeasure, type MatrixCell, type MatrixDims, type MatrixRow,
} from '../../src/bench/matrix.js'

const measure = (over: Partial<CellMeasure> = {}): CellMeasure => ({
  ops: 1000, throughput: 200, p50: 1, p99: 5, errors: 0, errorCounts: {}, clientCpuMsPerOp: 0.01, serverCpuMsPerOp: 0.05, backgroundCores: 0.1, ...over,
})
const ok = (cell: MatrixCell, system: string, throughput: number, p99 = 5, p50 = 1): MatrixRow =>
  rowFromMeasure(cell, system, measure({throughput, p99, p50, ops: Math.max(1, Math.round(throughput))}))
const cell = (valueBytes: number, clients: number, nodes = 3, op: 'writes' | 'reads' = 'writes'): MatrixCell => ({nodes, op, valueBytes, clients})

test('the options parse lists of sizes, counts and operations, and name the option on bad input', () => {
  assert.deepEqual(parseList('100, 1KiB,16KiB,256KiB', '--sizes', parseValueSize), [100, 1024, 16384, 262144])
  assert.deepEqual(parseList('1,64,1000', '--clients', parseCount), [1, 64, 1000])
  assert.deepEqual(parseList('writes,reads', '--ops', parseOp), ['writes', 'reads'])
  assert.throws(() => parseList('1,0', '--clients', parseCount), /--clients: not a positive integer: "0"/)
  assert.throws(() => parseList('writes,deletes', '--ops', parseOp), /--ops: unknown operation "deletes"/)
  assert.throws(() => parseList(' , ', '--nodes', parseCount), /--nodes names nothing/)
})

test('cells run by cluster size, then value size, writes before reads, then clients', () => {
  const dims: MatrixDims = {sizes: [100, 16384], clients: [1, 64], nodes: [3, 5], ops: ['reads', 'writes']}
  const cells = matrixCells(dims)
  assert.equal(cells.length, 2 * 2 * 2 * 2)
  assert.deepEqual(cells.slice(0, 5), [cell(100, 1), cell(100, 64), cell(100, 1, 3, 'reads'), cell(100, 64, 3, 'reads'), cell(16384, 1)])
  assert.ok(cells.slice(0, 8).every((c) => c.nodes === 3) && cells.slice(8).every((c) => c.nodes === 5))
})

test('a run that completed nothing is failed with its most frequent error; one with some ops is ok and counts its errors', () => {
  const failed = rowFromMeasure(cell(262144, 64), 'raftctl', measure({ops: 0, throughput: 0, errors: 40, errorCounts: {TIMEOUT: 2, PAYLOAD_TOO_LARGE: 38}}))
  assert.equal(failed.status, 'failed')
  assert.equal(failed.reason, 'PAYLOAD_TOO_LARGE')
  assert.equal(failed.throughput, null)
  assert.equal(failed.p99, null)
  assert.equal(rowFromMeasure(cell(100, 1), 'etcd', measure({ops: 0, throughput: 0})).reason, 'no operation completed inside the measured window')
  const some = rowFromMeasure(cell(16384, 64), 'etcd', measure({ops: 500, throughput: 100, errors: 3, errorCounts: {x: 3}}))
  assert.equal(some.status, 'ok')
  assert.equal(some.errors, 3)
  assert.equal(some.mbPerSec, (100 * 16384) / 1e6)
})

test('a cell of several runs keeps the whole run of median throughput, the range of all, and ignores failed runs unless all failed', () => {
  const c = cell(262144, 64)
  const runs = [measure({throughput: 310, p99: 900}), 'TIMEOUT', measure({throughput: 133, p99: 2000}), measure({throughput: 233, p99: 1200, serverCpuMsPerOp: 4.2})]
  const row = rowFromRepeats(c, 'raftctl', runs)
  assert.equal(row.throughput, 233)
  assert.equal(row.p99, 1200, 'the p99 of the chosen run, not of another')
  assert.equal(row.serverCpuMsPerOp, 4.2)
  assert.equal(row.runs, 4)
  assert.deepEqual(row.throughputRange, [133, 310])
  assert.match(matrixTable([row]), /\| raftctl \| 233 \(133–310, 4 runs\) \|/)
  const even = rowFromRepeats(c, 'etcd', [measure({throughput: 100}), measure({throughput: 200})])
  assert.equal(even.throughput, 100, 'the lower middle of an even count')
  const allFailed = rowFromRepeats(c, 'zookeeper', ['ECONNRESET', 'TIMEOUT'])
  assert.equal(allFailed.status, 'failed')
  assert.equal(allFailed.reason, 'TIMEOUT')
  assert.equal(allFailed.runs, 2)
  const one = rowFromRepeats(c, 'etcd', [measure({throughput: 150})])
  assert.deepEqual(one, rowFromMeasure(c, 'etcd', measure({throughput: 150})), 'one run: the row as before')
  assert.throws(() => rowFromRepeats(c, 'etcd', []), /at least one run/)
})

test('the table keeps failed cells with their reason, and shows client CPU beside server CPU in every row', () => {
  const rows = [ok(cell(100, 64), 'zookeeper', 11000), failedRow(cell(262144, 64), 'raftctl', 'PAYLOAD_TOO_LARGE (value | too large)')]
  const table = matrixTable(rows).split('\n')
  assert.equal(table.length, 4)
  assert.match(table[0]!, /\| client CPU ms\/op \| server CPU ms\/op \|/)
  assert.match(table[2]!, /\| 3 \| writes \| 100 B \| 64 \| zookeeper \| 11000 \| 1\.10 \| 1\.00 \| 5\.00 \| 0\.010 \| 0\.050 \| 0 \| ok \|/)
  assert.match(table[3]!, /\| 256 KiB \| 64 \| raftctl \| - \| - \| - \| - \| - \| - \| 0 \| failed: PAYLOAD_TOO_LARGE \(value \\\| too large\) \|/)
  assert.equal(formatBytes(1024), '1 KiB')
  assert.equal(formatBytes(1000), '1000 B')
})

test('plots run along each dimension with two or more values, one line per system, failed cells as gaps', () => {
  const dims: MatrixDims = {sizes: [100, 16384, 262144], clients: [1, 64], nodes: [3], ops: ['writes']}
  const rows: MatrixRow[] = []
  for (const size of dims.sizes) {
    for (const clients of dims.clients) {
      rows.push(ok(cell(size, clients), 'zookeeper', 1000))
      rows.push(size === 262144 ? failedRow(cell(size, clients), 'raftctl', 'PAYLOAD_TOO_LARGE') : ok(cell(size, clients), 'raftctl', 2000))
    }
  }
  const plots = matrixPlots(rows, dims, ['zookeeper', 'raftctl'])
  assert.deepEqual(plots.map((p) => p.file), [
    'matrix-writes-throughput-by-size.svg', 'matrix-writes-p99-by-size.svg', 'matrix-writes-throughput-by-clients.svg', 'matrix-writes-p99-by-clients.svg',
  ])
  const bySize = plots[0]!.svg
  // zookeeper: 3 points; raftctl: 2 (its 256 KiB cell failed).
  assert.equal([...bySize.matchAll(/<circle /g)].length, 5)
  assert.match(bySize, /MB\/s/)
  assert.match(bySize, />100B<\/text>[\s\S]*>1kB<\/text>/, 'size ticks in bytes')
  assert.match(plots[0]!.title, /64 clients, 3 nodes/)
  assert.deepEqual(referencePoint({sizes: [1024, 16384], clients: [1, 1000, 8], nodes: [5], ops: ['reads']}), {valueBytes: 1024, clients: 8, nodes: 5})
})

test('targets: ratios against the peers, a failed raftctl cell is a miss, a cell not run is n/a', () => {
  const rows = [
    ok(cell(100, 64), 'raftctl', 21000, 11), ok(cell(100, 64), 'zookeeper', 6000, 13), ok(cell(100, 64), 'etcd', 5000, 30),
    failedRow(cell(262144, 64), 'raftctl', 'PAYLOAD_TOO_LARGE'), ok(cell(262144, 64), 'zookeeper', 100),
    ok(cell(100, 1), 'raftctl', 1400, 2, 0.7), ok(cell(100, 1), 'zookeeper', 1500, 2, 0.8),
  ]
  const t = matrixTargets(rows, 0)
  const find = (s: string): {verdict: string; detail: string} => t.find((x) => x.target.startsWith(s))!
  assert.equal(find('writes, 64 clients, 100 B: >= 3x ZooKeeper').verdict, 'HOLD')
  assert.equal(find('writes, 64 clients, 100 B: >= 5x etcd').verdict, 'MISS')
  assert.equal(find('writes, 64 clients, 100 B: >= 5x etcd').detail, '4.20x (21000 vs 5000 ops/s)')
  assert.equal(find('writes, 64 clients, 256 KiB: >= 2x ZooKeeper').verdict, 'MISS')
  assert.match(find('writes, 64 clients, 256 KiB: >= 2x ZooKeeper').detail, /PAYLOAD_TOO_LARGE/)
  assert.equal(find('writes, 64 clients, 16 KiB').verdict, 'n/a')
  assert.equal(find('writes, 1 client, 100 B: p50 <= 0.8x').verdict, 'MISS') // 0.7 / 0.8 = 0.875
  assert.equal(matrixTargets(rows, 1).find((x) => x.target.startsWith('writes, 1 client'))!.verdict, 'HOLD') // busy: <= 1x
  assert.equal(find('5 nodes').verdict, 'n/a')
  assert.equal(find('1,000 clients').verdict, 'n/a')
})

test('etcdctl check perf output and bash times parse; a run without a verdict is null', () => {
  const pass = parseEtcdctlPerf(' 60 / 60 Booo! 100.00% 1m0s\nPASS: Throughput is 974 writes/s\nPASS: Slowest request took 0.468174s\nPASS: Stddev is 0.028241s\nPASS\n')
  assert.deepEqual(pass, {throughput: 974, slowestMs: 468.174, stddevMs: 28.241, pass: true})
  const fail = parseEtcdctlPerf('FAIL: Throughput too low: 6491 writes/s\nSlowest request took too long: 0.786915s\nStddev too high: 0.2s\nFAIL\n')
  assert.equal(fail?.throughput, 6491)
  assert.equal(fail?.pass, false)
  assert.equal(fail?.slowestMs, 786.915)
  assert.equal(parseEtcdctlPerf('Error: context deadline exceeded\n'), null)
  assert.equal(parseBashTimes('PASS\n0m0.001s 0m0.002s\n1m2.500s 0m0.500s\n'), 63_000)
  assert.equal(parseBashTimes('PASS\n'), null)
})

test('the docs section is replaced between its markers only, and a document without them is refused', () => {
  const doc = `# Perf\nbefore\n${MATRIX_BEGIN}\nold table\n${MATRIX_END}\nafter\n`
  const rows = [ok(cell(100, 64), 'raftctl', 100), failedRow(cell(262144, 64), 'raftctl', 'PAYLOAD_TOO_LARGE')]
  const dims: MatrixDims = {sizes: [100, 262144], clients: [64], nodes: [3], ops: ['writes']}
  const plots = matrixPlots(rows, dims, ['raftctl'])
  const info = {
    command: 'npm run bench:compare -- --matrix', commit: 'abc1234', date: '2026-12-07T14:00:00Z', machine: '2 cores', versions: 'node v20',
    loadBefore: '20.1 18.0 15.2', loadAfter: '22.0 19.0 16.0', background: 1, durationMs: 5000, warmupMs: 1000, keys: 1000, connections: 4,
  }
  const section = matrixSection(info, rows, plots, matrixTargets(rows, 1), null)
  const out = replaceBetweenMarkers(doc, MATRIX_BEGIN, MATRIX_END, section)
  assert.ok(out.startsWith(`# Perf\nbefore\n${MATRIX_BEGIN}\n`))
  assert.ok(out.endsWith(`${MATRIX_END}\nafter\n`))
  assert.ok(!out.includes('old table'))
  assert.match(out, /20\.1 18\.0 15\.2 at the start and 22\.0 19\.0 16\.0 at the end/)
  assert.match(out, /--background 1/)
  assert.match(out, /1 of 2 cells failed/)
  assert.match(out, /failed: PAYLOAD_TOO_LARGE/)
  assert.match(out, /!\[writes: MB\/s by value size \(64 clients, 3 nodes\)\]\(perf\/matrix-writes-throughput-by-size\.svg\)/)
  assert.equal(replaceBetweenMarkers(out, MATRIX_BEGIN, MATRIX_END, section), out, 'replacing again gives the same text')
  assert.throws(() => replaceBetweenMarkers('# no markers\n', MATRIX_BEGIN, MATRIX_END, 'x'), /not found/)
  assert.throws(() => replaceBetweenMarkers(`${MATRIX_END}\n${MATRIX_BEGIN}\n`, MATRIX_BEGIN, MATRIX_END, 'x'), /not found/)
})
