#!/usr/bin/env node
// A Node web backend's view of soundsearch, with @grpc/grpc-js and
// @grpc/proto-loader (protos loaded at run time from ../../proto; as
// proto-loader does by default, fields are camelCase here: page_token is
// pageToken).
//   npm install && node client.js [--server HOST:PORT] add FILE [--labels a,b] [--tags t]
//   node client.js query FILE [FILE...] [--not FILE] [-k 5] [--strategy best_score] [--offset N]
//   node client.js search TEXT [-k 5] [--page-token T]
//   node client.js list [--labels-any L] [--page-size N] [--page-token T]
//   node client.js export                 (every sound, one JSON object a line)
//   node client.js describe FILE | --id N
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
  const opts = {server: '127.0.0.1:50051', k: 15, labels: '', tags: '',
                not: [], strategy: 'average', offset: 0, pageToken: '',
                labelsAny: '', pageSize: 100, id: '', positional: []};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--server') opts.server = argv[++i];
    else if (a === '-k') opts.k = Number(argv[++i]);
    else if (a === '--labels') opts.labels = argv[++i];
    else if (a === '--tags') opts.tags = argv[++i];
    else if (a === '--not') opts.not.push(argv[++i]);
    else if (a === '--strategy') opts.strategy = argv[++i];
    else if (a === '--offset') opts.offset = Number(argv[++i]);
    else if (a === '--page-token') opts.pageToken = argv[++i];
    else if (a === '--labels-any') opts.labelsAny = argv[++i];
    else if (a === '--page-size') opts.pageSize = Number(argv[++i]);
    else if (a === '--id') opts.id = argv[++i];
    else opts.positional.push(a);
  }
  return opts;
}

const csv = (s) => s.split(',').filter(Boolean);

function results(reply) {
  return reply.results.map((x) => ({
    id: x.id, score: x.score, name: x.sound.name, labels: x.sound.labels,
    sources: Object.fromEntries(
        x.sources.map((s) => [s.source, {score: s.score, rank: s.rank}])),
  }));
}

function main() {
  const opts = parse(process.argv.slice(2));
  const [command, ...rest] = opts.positional;
  if (!command) {
    console.error('usage: client.js [--server HOST:PORT] ' +
                  'add|query|search|list|export|describe ...');
    process.exit(2);
  }
  const creds = grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  if (process.env.SOUNDSEARCH_TOKEN) {
    metadata.set('authorization', 'Bearer ' + process.env.SOUNDSEARCH_TOKEN);
  }
  const deadline = () => ({deadline: new Date(Date.now() + 60000)});
  const fail = (err) => {
    console.error(`soundsearch: ${grpc.status[err.code]}: ${err.details}`);
    process.exit(1);
  };
  const done = (err, reply, render) => {
    if (err) fail(err);
    console.log(JSON.stringify(render(reply)));
  };
  const query = new v1.Query(opts.server, creds);
  if (command === 'add') {
    const file = rest[0];
    const ingest = new v1.Ingest(opts.server, creds);
    ingest.AddSound({audio: fs.readFileSync(file), filename: path.basename(file),
                     fields: {labels: csv(opts.labels), tags: csv(opts.tags)}},
                    metadata, deadline(),
                    (err, reply) => done(err, reply,
                        (r) => ({id: r.id, duplicate: r.duplicate})));
  } else if (command === 'query') {
    const positive = rest.map((f) => ({audio: fs.readFileSync(f)}));
    if (opts.id) positive.push({id: opts.id});
    const negative = opts.not.map((f) => ({audio: fs.readFileSync(f)}));
    const strategy = opts.strategy === 'best_score' ?
        'EXAMPLE_STRATEGY_BEST_SCORE' : 'EXAMPLE_STRATEGY_AVERAGE';
    query.QueryByExample({positive, negative, strategy, k: opts.k,
                          offset: opts.offset, pageToken: opts.pageToken},
                         deadline(),
                         (err, reply) => done(err, reply, (r) => ({
                           space: r.space, offset: r.offset,
                           next_page_token: r.nextPageToken,
                           results: results(r)})));
  } else if (command === 'search') {
    query.QueryByText({text: rest.join(' '), k: opts.k,
                       pageToken: opts.pageToken}, deadline(),
                      (err, reply) => done(err, reply, (r) => ({
                        space: r.space, class_space: r.classSpace,
                        words: r.words.map((w) => ({text: w.text, word: w.word})),
                        classes: r.classes.map((c) => ({name: c.name,
                                                        weight: c.weight})),
                        unmatched: r.unmatched,
                        next_page_token: r.nextPageToken,
                        results: results(r)})));
  } else if (command === 'list') {
    query.ListSounds({filter: {labelsAny: csv(opts.labelsAny)},
                      pageSize: opts.pageSize, pageToken: opts.pageToken},
                     deadline(),
                     (err, reply) => done(err, reply, (r) => ({
                       sounds: r.sounds.map((s) => ({id: s.id, name: s.name,
                                                     labels: s.labels})),
                       next_page_token: r.nextPageToken})));
  } else if (command === 'export') {
    // Every page in turn; one JSON object per sound and line.
    const page = (token) => query.ListSounds(
        {pageSize: 1000, pageToken: token}, deadline(), (err, reply) => {
          if (err) fail(err);
          for (const s of reply.sounds) {
            console.log(JSON.stringify({id: s.id, external_id: s.externalId,
                                        name: s.name, labels: s.labels,
                                        tags: s.tags,
                                        duration_seconds: s.durationSeconds}));
          }
          if (reply.nextPageToken) page(reply.nextPageToken);
        });
    page('');
  } else if (command === 'describe') {
    const request = rest[0] ? {audio: fs.readFileSync(rest[0])} : {id: opts.id};
    query.DescribeSound(request, deadline(),
                        (err, reply) => done(err, reply, (r) => ({
                          space: r.space, class_space: r.classSpace,
                          words: r.words.map((w) => ({word: w.word,
                                                      cosine: w.cosine})),
                          classes: r.classes.map((c) => ({name: c.name,
                                                          score: c.score})),
                          auto_tags: r.autoTags})));
  } else {
    console.error(`unknown command ${command}`);
    process.exit(2);
  }
}

main();
