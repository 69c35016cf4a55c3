#!/usr/bin/env node
// Validates a HAR file against the HAR 1.2 JSON schema with har-validator,
// a checker phiproxy does not maintain. Exit 0 when valid; otherwise exit 1
// and print each schema error (path and message) on stderr. Exit 2 when the
// file cannot be read or is not JSON.
'use strict';

const fs = require('fs');
const validate = require('har-validator');

const file = process.argv[2];
if (!file) {
  console.error('usage: node check.js FILE.har');
  process.exit(2);
}

let har;
try {
  har = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`${file}: ${err.message}`);
  process.exit(2);
}

validate.har(har).then(
  () => {
    const n = (har.log && har.log.entries || []).length;
    console.log(`${file}: valid HAR ${har.log.version}, ${n} entries`);
  },
  (err) => {
    const errors = err.errors || [err];
    for (const e of errors) {
      console.error(`${file}: ${e.dataPath || e.instancePath || ''} ${e.message || e}`);
    }
    process.exit(1);
  },
);
