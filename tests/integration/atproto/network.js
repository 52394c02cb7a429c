// A real AT Protocol network on loopback for the Bluesky tests: PLC, PDS and AppView from
// @atproto/dev-env (the reference implementation Bluesky's own developers test with), on the
// test PostgreSQL. Seeds a brand, a customer and the posts the tests expect, prints one JSON
// line with the servers' URLs and what was seeded, then serves until stdin closes.
//
//   node network.js POSTGRES_URL SCHEMA
'use strict'
const { TestNetwork } = require('@atproto/dev-env')

const mentionFacet = (text, handle, did) => {
  const start = Buffer.byteLength(text.slice(0, text.indexOf('@' + handle)))
  return [{
    index: { byteStart: start, byteEnd: start + Buffer.byteLength('@' + handle) },
    features: [{ $type: 'app.bsky.richtext.facet#mention', did }],
  }]
}

async function main () {
  const [dbPostgresUrl, schema] = process.argv.slice(2)
  process.env.REDIS_HOST = process.env.REDIS_HOST || 'unused' // required, never dialled
  const network = await TestNetwork.create({ dbPostgresUrl, dbPostgresSchema: schema })
  const sc = network.getSeedClient()
  const account = async (name) => {
    await sc.createAccount(name, { handle: `${name}.test`, email: `${name}@example.com`, password: `${name}-pass` })
    return sc.dids[name]
  }
  const brand = await account('carebrand')
  const maya = await account('maya')
  const lee = await account('lee')
  const seeded = {}
  const mention = async (by, text, extra = {}) => {
    const facets = mentionFacet(text, 'carebrand.test', brand)
    if (extra.replyTo) return sc.reply(by, extra.root || extra.replyTo, extra.replyTo, text, facets)
    return sc.post(by, text, facets, undefined, extra.quote)
  }
  // a mention (with a mention facet), the customer's reply in the same thread, a quote of it
  const opening = await mention(maya, '@carebrand.test my bag never arrived, flight 212')
  seeded.opening = opening.ref.uriStr
  const reply = await mention(maya, 'still nothing, 3 days now @carebrand.test', { replyTo: opening.ref })
  seeded.reply = reply.ref.uriStr
  const quote = await mention(lee, 'same thing happened to me @carebrand.test', { quote: opening.ref })
  seeded.quote = quote.ref.uriStr
  // the brand answers; a like and a repost of its answer notify it, and are not cases
  const answer = await sc.reply(brand, opening.ref, reply.ref, 'So sorry Maya, DM us your booking?')
  seeded.answer = answer.ref.uriStr
  seeded.like = (await sc.like(lee, answer.ref)).toString()
  seeded.repost = (await sc.repost(lee, answer.ref)).uriStr
  // a mention deleted before anyone read it, and one with emoji and a link
  const gone = await mention(lee, '@carebrand.test delete me')
  await sc.deletePost(lee, gone.ref.uri)
  seeded.deleted = gone.ref.uriStr
  const emoji = await mention(lee, '@carebrand.test 🛫➡️😡 refund? https://example.com/booking/42')
  seeded.emoji = emoji.ref.uriStr
  await network.processAll()
  const out = {
    pds: network.pds.url,
    appview: network.bsky.url,
    plc: network.plc.url,
    brand: { handle: 'carebrand.test', did: brand, password: 'carebrand-pass' },
    customers: { maya, lee },
    seeded,
  }
  process.stdout.write(JSON.stringify(out) + '\n')
  const more = async (line) => { // "post TEXT" from the test: maya posts again
    const [cmd, ...rest] = line.trim().split(' ')
    if (cmd === 'post') {
      const p = await mention(maya, rest.join(' '))
      await network.processAll()
      process.stdout.write(JSON.stringify({ posted: p.ref.uriStr }) + '\n')
    } else if (cmd === 'process') {
      await network.processAll()
      process.stdout.write(JSON.stringify({ processed: true }) + '\n')
    }
  }
  let buffer = ''
  process.stdin.on('data', async (chunk) => {
    buffer += chunk
    let i
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i)
      buffer = buffer.slice(i + 1)
      try { await more(line) } catch (err) { process.stdout.write(JSON.stringify({ error: String(err) }) + '\n') }
    }
  })
  process.stdin.on('end', async () => { await network.close(); process.exit(0) })
}

main().catch((err) => { console.error(err); process.exit(1) })
