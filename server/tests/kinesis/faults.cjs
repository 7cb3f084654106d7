// Preloaded into kinesalite by the Kinesis collector's tests (node -r):
// faults real Kinesis has and kinesalite does not model.
//  - KINESALITE_CLOCK_FILE: milliseconds read from this file are added to
//    the clock, so a test can make time pass (shard iterators expire after
//    five minutes).
//  - KINESALITE_THROTTLE_EVERY=N: every Nth GetRecords is answered
//    ProvisionedThroughputExceededException, as an over-read shard is.
'use strict'
const fs = require('fs')
const http = require('http')

const clockFile = process.env.KINESALITE_CLOCK_FILE
if (clockFile) {
  const realNow = Date.now
  let offset = 0
  let readAt = 0
  const current = () => {
    const t = realNow()
    if (t - readAt > 20) {
      readAt = t
      try { offset = Number(fs.readFileSync(clockFile, 'utf8').trim()) || 0 } catch (e) { offset = 0 }
    }
    return t + offset
  }
  const RealDate = Date
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(current())
      else super(...args)
    }
    static now() { return current() }
  }
  global.Date = ShiftedDate
}

const every = Number(process.env.KINESALITE_THROTTLE_EVERY || 0)
if (every > 0) {
  let n = 0
  const create = http.createServer
  http.createServer = function (...args) {
    const listener = args.find(a => typeof a === 'function')
    const server = create.apply(http, args.filter(a => a !== listener))
    server.on('request', (req, res) => {
      const target = String(req.headers['x-amz-target'] || '')
      if (target.endsWith('.GetRecords') && ++n % every === 0) {
        req.resume()
        req.on('end', () => {
          const body = JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard' })
          res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(body) })
          res.end(body)
        })
        return
      }
      listener(req, res)
    })
    return server
  }
}
