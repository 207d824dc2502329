// Differential conformance test, step 2b: runs every corpus case through Node's HTTP parser
// (llhttp, the one behind require('http')), in its strict default mode: no lenient flags, the
// default 16 KiB header limit, as a Node server (requests) or client (responses) sets it up.
//
// Usage: node node_check.js CORPUS_DIR (as written by dump_corpus). Prints one JSON line per
// case: {"id", "outcome": accept|reject|incomplete, "reason", and for accepted requests
// "method", "target"}. A head case is accepted once its headers are complete, a chunked case
// once its message is; any parse error in the input rejects. The input is never followed by
// EOF (no finish()), so "needs more data" means incomplete.
'use strict';
const fs = require('fs');
const path = require('path');

process.noDeprecation = true;  // process.binding: the only way to the method names by number
const { HTTPParser } = require('_http_common');
const binding = process.binding('http_parser');
const methodNames = binding.allMethods || binding.methods;  // indexed by llhttp's method number

function check(kase, raw) {
  const parser = new HTTPParser();
  const isResponse = kase.kind === 'response';
  parser.initialize(isResponse ? HTTPParser.RESPONSE : HTTPParser.REQUEST, {}, 0,
                    HTTPParser.kLenientNone || 0);
  const result = { outcome: 'incomplete', reason: '' };
  let headers = false;
  let complete = false;
  parser[HTTPParser.kOnMessageBegin] = () => {};
  parser[HTTPParser.kOnHeaders] = () => {};
  parser[HTTPParser.kOnBody] = () => {};
  parser[HTTPParser.kOnExecute] = () => {};
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, hdrs, method, url) => {
    if (headers) return 0;  // a second (pipelined) message: not part of this case
    headers = true;
    if (!isResponse) {
      result.method = methodNames[method];
      result.target = url;
    }
    // 1 skips the body, as Node's client does for the answer to a HEAD.
    return isResponse && kase.head_request ? 1 : 0;
  };
  parser[HTTPParser.kOnMessageComplete] = () => { complete = true; };

  const ret = parser.execute(raw);
  if (ret instanceof Error) {
    return { outcome: 'reject', reason: `${ret.code}: ${ret.reason}` };
  }
  const done = kase.kind === 'chunked' ? complete : headers;
  if (done) result.outcome = 'accept';
  if (!done || kase.kind !== 'request') {
    delete result.method;
    delete result.target;
  }
  return result;
}

const corpus = process.argv[2];
const lines = fs.readFileSync(path.join(corpus, 'index.jsonl'), 'utf8').split('\n');
for (const line of lines) {
  if (!line) continue;
  const kase = JSON.parse(line);
  const raw = fs.readFileSync(path.join(corpus, kase.id + '.bin'));
  console.log(JSON.stringify({ id: kase.id, ...check(kase, raw) }));
}
