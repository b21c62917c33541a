#!/usr/bin/env node
// Validates Backstage catalog descriptor files the way Backstage's catalog does on ingestion:
// the entity policies its catalog backend applies by default, then the validator of the
// entity's kind. Usage: node backstage.cjs catalog-info.yaml...
// Needs @backstage/catalog-model and yaml (tests/install-validators puts them in .tools/node;
// the test sets NODE_PATH to find them). Exits 1 naming every invalid entity.
'use strict';

const fs = require('node:fs');
const YAML = require('yaml');
const model = require('@backstage/catalog-model');

const policy = model.EntityPolicies.allOf([
  new model.SchemaValidEntityPolicy(),
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
]);

const kindValidators = {
  api: model.apiEntityV1alpha1Validator,
  component: model.componentEntityV1alpha1Validator,
  domain: model.domainEntityV1alpha1Validator,
  group: model.groupEntityV1alpha1Validator,
  location: model.locationEntityV1alpha1Validator,
  resource: model.resourceEntityV1alpha1Validator,
  system: model.systemEntityV1alpha1Validator,
  user: model.userEntityV1alpha1Validator,
};

async function main(files) {
  if (files.length === 0) {
    console.error('usage: backstage.cjs FILE...');
    return 2;
  }
  let failed = 0;
  let checked = 0;
  for (const file of files) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
    for (const [i, doc] of docs.entries()) {
      const where = `${file}#${i}`;
      if (doc.errors.length > 0) {
        console.error(`${where}: YAML: ${doc.errors.map(e => e.message).join('; ')}`);
        failed++;
        continue;
      }
      const entity = doc.toJS();
      try {
        const result = await policy.enforce(entity);
        if (!result) throw new Error('rejected by the entity policies');
        const validator = kindValidators[String(entity.kind).toLowerCase()];
        if (!validator) throw new Error(`unknown kind ${entity.kind}`);
        if ((await validator.check(result)) !== true) {
          throw new Error(`not a valid ${entity.apiVersion} ${entity.kind}`);
        }
        const ref = model.stringifyEntityRef(result);
        console.log(`${where}: ${ref} is valid`);
        checked++;
      } catch (e) {
        console.error(`${where}: ${e.message}`);
        failed++;
      }
    }
  }
  if (checked === 0 && failed === 0) {
    console.error('no entity found');
    return 1;
  }
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  e => {
    console.error(e);
    process.exit(2);
  },
);
