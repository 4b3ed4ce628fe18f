/**
 * Run inside the bridge namespace by the netns test: `health URL…` prints each node's /health
 * as one JSON line; `put URL… KEY VALUE` writes through a KvClient and prints the result;
 * `get URL… KEY` reads linearizably.
 */
import {KvClient} from '../../src/client/index.js'

const [command, ...rest] = process.argv.slice(2)
const secret = process.env.RAFTCTL_TEST_SECRET ?? ''

async function health(urls: string[]): Promise<void> {
  const out = await Promise.all(urls.map(async (u) => {
    try {
      const res = await fetch(`${u.replace(/^ws/, 'http')}/health`, {signal: AbortSignal.timeout(1000)})
      return await res.json()
    } catch {
      return null
    }
  }))
  console.log(JSON.stringify(out))
}

async function kv(urls: string[], op: 'put' | 'get', key: string, value?: string): Promise<void> {
  const client = new KvClient({endpoints: urls.map((url, i) => ({id: `n${i + 1}`, url})), secret, timeoutMs: 2000, deadlineMs: 8000})
  try {
    const r = op === 'put' ? await client.put(key, value!) : await client.get(key)
    console.log(JSON.stringify(r))
  } finally {
    await client.close()
  }
}

if (command === 'health') await health(rest)
else if (command === 'put') await kv(rest.slice(0, -2), 'put', rest.at(-2)!, rest.at(-1)!)
else if (command === 'get') await kv(rest.slice(0, -1), 'get', rest.at(-1)!)
else throw new Error(`unknown command ${command}`)
