#!/usr/bin/env node
// A Node web backend's view of soundsearch, with @grpc/grpc-js and
// @grpc/proto-loader (protos loaded at run time from ../../proto).
//   npm install && node client.js [--server HOST:PORT] add FILE [--labels a,b]
//   node client.js query FILE [-k 5]
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const protoDir = path.join(__dirname, '..', '..', 'proto');
const definition = protoLoader.loadSync(
    ['soundsearch/v1/ingest.proto', 'soundsearch/v1/query.proto'],
    {includeDirs: [protoDir], longs: String, defaults: true});
const v1 = grpc.loadPackageDefinition(definition).soundsearch.v1;

function parse(argv) {
  const opts = {server: '127.0.0.1:50051', k: 15, labels: '', positional: []};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--server') opts.server = argv[++i];
    else if (a === '-k') opts.k = Number(argv[++i]);
    else if (a === '--labels') opts.labels = argv[++i];
    else opts.positional.push(a);
  }
  return opts;
}

function main() {
  const opts = parse(process.argv.slice(2));
  const [command, file] = opts.positional;
  if (!command || !file) {
    console.error('usage: client.js [--server HOST:PORT] add|query FILE');
    process.exit(2);
  }
  const audio = fs.readFileSync(file);
  const creds = grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  if (process.env.SOUNDSEARCH_TOKEN) {
    metadata.set('authorization', 'Bearer ' + process.env.SOUNDSEARCH_TOKEN);
  }
  const deadline = new Date(Date.now() + 60000);
  const done = (err, reply, render) => {
    if (err) {
      console.error(`soundsearch: ${grpc.status[err.code]}: ${err.details}`);
      process.exit(1);
    }
    console.log(JSON.stringify(render(reply)));
  };
  if (command === 'add') {
    const ingest = new v1.Ingest(opts.server, creds);
    ingest.AddSound({audio, filename: path.basename(file),
                     fields: {labels: opts.labels.split(',').filter(Boolean)}},
                    metadata, {deadline},
                    (err, reply) => done(err, reply,
                        r => ({id: r.id, duplicate: r.duplicate})));
  } else if (command === 'query') {
    const query = new v1.Query(opts.server, creds);
    query.QueryByExample({audio, k: opts.k}, {deadline},
        (err, reply) => done(err, reply, r => ({
          space: r.space,
          results: r.results.map(x => ({id: x.id, score: x.score,
                                        name: x.sound.name,
                                        labels: x.sound.labels})),
        })));
  } else {
    console.error(`unknown command ${command}`);
    process.exit(2);
  }
}

main();
