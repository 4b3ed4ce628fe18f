/**
 * The benchmarks' SVG line plots (src/bench/svg-plot.ts): a well-formed document, a marker for
 * every measured point placed in axis order, gaps for unmeasured points, escaped text, and a
 * refusal of values a logarithmic axis cannot hold.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {formatQuantity, linePlotSvg} from '../../src/bench/svg-plot.js'

const circles = (svg: string): Array<{x: number; y: number}> =>
  [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => ({x: Number(m[1]), y: Number(m[2])}))

test('one marker per measured point, larger x to the right and larger y higher up', () => {
  const svg = linePlotSvg([{name: 'raftctl', points: [{x: 1e6, y: 30}, {x: 1e4, y: 10}, {x: 1e5, y: 20}]}], {title: 't', xLabel: 'keys', yLabel: 'ms', xLog: true})
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  assert.match(svg, /<\/svg>\n$/)
  const c = circles(svg)
  assert.equal(c.length, 3)
  assert.ok(c[0]!.x < c[1]!.x && c[1]!.x < c[2]!.x, 'sorted by x')
  assert.ok(c[0]!.y > c[1]!.y && c[1]!.y > c[2]!.y, 'larger y is drawn higher (smaller pixel y)')
  // Log x: 1e4, 1e5, 1e6 are evenly spaced.
  assert.ok(Math.abs((c[1]!.x - c[0]!.x) - (c[2]!.x - c[1]!.x)) < 0.5)
})

test('a null y is a gap: no marker and the line breaks there', () => {
  const svg = linePlotSvg([{name: 'a', points: [{x: 1, y: 1}, {x: 2, y: 2}, {x: 3, y: null}, {x: 4, y: 3}, {x: 5, y: 4}]}], {title: 't', xLabel: 'x', yLabel: 'y'})
  assert.equal(circles(svg).length, 4)
  assert.equal([...svg.matchAll(/<polyline/g)].length, 2)
})

test('series names, titles and the target line are escaped and drawn', () => {
  const svg = linePlotSvg(
    [{name: 'etcd <grpc> & "js"', points: [{x: 1, y: 5}]}],
    {title: 'p99 < 50', xLabel: 'x', yLabel: 'y', target: {y: 50, label: 'target 50 ms'}},
  )
  assert.ok(svg.includes('etcd &lt;grpc&gt; &amp; &quot;js&quot;'))
  assert.ok(svg.includes('p99 &lt; 50'))
  assert.ok(svg.includes('stroke-dasharray'))
  assert.ok(svg.includes('target 50 ms'))
  assert.ok(!/<[^a-z/!?]/.test(svg.replace(/<\/?[a-z]+/g, '')), 'no stray < left in the text')
})

test('a logarithmic axis refuses a value at or below zero', () => {
  assert.throws(() => linePlotSvg([{name: 'a', points: [{x: 0, y: 1}]}], {title: 't', xLabel: 'x', yLabel: 'y', xLog: true}), RangeError)
  assert.throws(() => linePlotSvg([{name: 'a', points: [{x: 1, y: -1}]}], {title: 't', xLabel: 'x', yLabel: 'y', yLog: true}), RangeError)
})

test('tick labels are short quantities', () => {
  assert.equal(formatQuantity(1500), '1.5k')
  assert.equal(formatQuantity(2_000_000), '2M')
  assert.equal(formatQuantity(0.25), '0.25')
  assert.equal(formatQuantity(262_144), '262k')
})
