#!/usr/bin/env node
// Reads a HAR file back with httpsnippet, a HAR consumer phiproxy does not
// maintain (it turns HAR requests into curl commands and code). It loads
// every entry the way that library does, then prints one JSON object: the
// number of requests it read and, for each, the method, the full URL, the
// request body as it understood it, and the curl command it generated.
// Exit 1 when the library rejects the file, 2 when it cannot be read.
'use strict';

const fs = require('fs');
const { HTTPSnippet } = require('httpsnippet');

const file = process.argv[2];
if (!file) {
  console.error('usage: node read.js FILE.har');
  process.exit(2);
}

let har;
try {
  har = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`${file}: ${err.message}`);
  process.exit(2);
}

let snippet;
let curl;
try {
  snippet = new HTTPSnippet(har);
  curl = snippet.convert('shell', 'curl');
} catch (err) {
  console.error(`${file}: httpsnippet: ${err.message}`);
  process.exit(1);
}
if (!Array.isArray(curl)) {
  curl = [curl];
}
console.log(JSON.stringify({
  requests: snippet.requests.length,
  entries: snippet.requests.map((r, i) => ({
    method: r.method,
    url: r.fullUrl,
    body: (r.postData && r.postData.text) || '',
    curl: curl[i],
  })),
}));
