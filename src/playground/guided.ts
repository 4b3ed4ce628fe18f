/**
 * The guided scenarios: classic Raft situations as seeds and timed actions, each with a title
 * and a one-line caption saying what to watch. Browser-safe, imports only ./scenario.
 */
import {scenario, type Scenario} from './scenario.js'

/** A guided scenario: its scenario (named), a title and what to watch. */
export interface Guided {
  readonly name: string
  readonly title: string
  readonly caption: string
  /** Virtual time (ms) by which the story has been told; the page may stop there. */
  readonly endsAt: number
  readonly scenario: Scenario
}

const cut = (from: string, to: string, at: number) => ({at, do: 'link' as const, from, to, drop: true, delayMs: 0, both: false})
const slow = (from: string, to: string, at: number, delayMs: number) => ({at, do: 'link' as const, from, to, drop: false, delayMs, both: false})

/** Every guided scenario, in teaching order. */
export const GUIDED: readonly Guided[] = [
  {
    name: 'first-election',
    title: 'First election',
    caption: 'Every follower\'s ring fills towards a random timeout in [T, 2T): the first to run out asks for (pre-)votes, wins a majority and starts sending heartbeats that reset the others\' rings.',
    endsAt: 1000,
    scenario: scenario({name: 'first-election', seed: 1}),
  },
  {
    name: 'split-vote',
    title: 'Split vote',
    caption: 'n1 and n3 time out together and each gets 2 of 4 votes: no majority, nobody leads term 2. Timeouts are drawn at random again, so soon one candidate starts first and gathers a majority before the others wake up.',
    endsAt: 1500,
    scenario: scenario({
      name: 'split-vote', seed: 7, nodes: 4, settings: {preVote: false},
      actions: [slow('n1', 'n4', 0, 80), slow('n3', 'n2', 0, 80), {at: 20, do: 'timeout', node: 'n1'}, {at: 20, do: 'timeout', node: 'n3'}, {at: 300, do: 'heal'}],
    }),
  },
  {
    name: 'leader-crash',
    title: 'Leader crash and re-election',
    caption: 'The leader n2 stops: no more heartbeats, so a follower\'s timer runs out and it wins an election in a higher term. n2 comes back as a follower of the new leader and catches up.',
    endsAt: 3500,
    scenario: scenario({
      name: 'leader-crash', seed: 1,
      actions: [{at: 500, do: 'request'}, {at: 1000, do: 'stop', node: 'n2'}, {at: 1800, do: 'request'}, {at: 2500, do: 'restart', node: 'n2'}],
    }),
  },
  {
    name: 'partitioned-minority',
    title: 'A partitioned minority cannot commit',
    caption: 'The leader n2 and n1 are cut off from n3–n5: n2 appends a request it can never commit (2 of 5 is no majority), while the majority elects a leader and commits. When the partition heals, n2\'s entry is overwritten.',
    endsAt: 4500,
    scenario: scenario({
      name: 'partitioned-minority', seed: 1,
      actions: [
        {at: 800, do: 'partition', groups: [['n1', 'n2'], ['n3', 'n4', 'n5']], oneWay: false},
        {at: 900, do: 'request', value: 'lost=1'},
        {at: 2200, do: 'request', value: 'kept=1'},
        {at: 3200, do: 'heal'},
      ],
    }),
  },
  {
    name: 'figure-8',
    title: 'Figure 8: commit only entries of your own term',
    caption: 'n1 (term 2) copies an entry to n2 only and stops; n5 leads term 3 unseen and stops; n1 returns, leads term 4 and copies its term-2 entry to a majority — it commits only with n1\'s own term-4 entry, so n5 can never overwrite it.',
    endsAt: 2500,
    scenario: scenario({
      name: 'figure-8', seed: 3,
      actions: [
        {at: 10, do: 'timeout', node: 'n1'},
        cut('n1', 'n3', 400), cut('n1', 'n4', 400), cut('n1', 'n5', 400),
        {at: 420, do: 'request', value: 'x=2'},
        {at: 500, do: 'stop', node: 'n1'},
        {at: 500, do: 'heal'},
        {at: 520, do: 'timeout', node: 'n5'},
        cut('n5', 'n2', 552), cut('n5', 'n3', 552), cut('n5', 'n4', 552),
        {at: 700, do: 'stop', node: 'n5'},
        {at: 700, do: 'heal'},
        {at: 720, do: 'restart', node: 'n1'},
        {at: 740, do: 'timeout', node: 'n1'},
        {at: 800, do: 'timeout', node: 'n1'},
        {at: 1600, do: 'restart', node: 'n5'},
      ],
    }),
  },
  {
    name: 'membership-change',
    title: 'Membership change, one server at a time',
    caption: 'The leader appends a configuration entry for each change; every node uses a configuration as soon as it has the entry. n4 and n5 catch up from the log, then n1 is removed and stopped.',
    endsAt: 3500,
    scenario: scenario({
      name: 'membership-change', seed: 2, nodes: 3,
      actions: [{at: 600, do: 'request'}, {at: 800, do: 'add'}, {at: 1500, do: 'add'}, {at: 2200, do: 'remove', node: 'n1'}, {at: 2800, do: 'request'}],
    }),
  },
  {
    name: 'no-prevote',
    title: 'Why PreVote: a rejoining node disrupts the leader',
    caption: 'PreVote and CheckQuorum are off. n5 is cut off, times out again and again and raises its term; when it rejoins, its higher term forces the healthy leader to step down. Turn PreVote on and replay: nothing happens.',
    endsAt: 3500,
    scenario: scenario({
      name: 'no-prevote', seed: 1, settings: {preVote: false, checkQuorum: false},
      actions: [{at: 800, do: 'partition', groups: [['n5'], ['n1', 'n2', 'n3', 'n4']], oneWay: false}, {at: 2400, do: 'heal'}],
    }),
  },
]

/** The guided scenario called `name`, or undefined. */
export function guided(name: string): Guided | undefined {
  return GUIDED.find((g) => g.name === name)
}
