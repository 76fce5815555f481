// `npm run api:report` writes the public API of each entry point to docs/api/*.api.md (reviewed in
// pull requests: a change to what users import shows as a diff there). `npm run api:check` fails
// when the built declarations no longer match the checked-in reports (CI). Both read dist/, so run
// `npm run build` first. Uses @microsoft/api-extractor (docs/decisions/0009-packaging.md).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Extractor, ExtractorConfig, type IConfigFile } from '@microsoft/api-extractor';
import { PROJECT_ROOT } from './stack-config.ts';

/** package.json#exports entry -> its declaration file and report name. */
const ENTRIES = [
  { entry: 'mskguard', types: 'dist/shared/index.d.ts', report: 'mskguard.api.md' },
  { entry: 'mskguard/cdk', types: 'dist/cdk/index.d.ts', report: 'mskguard-cdk.api.md' },
  { entry: 'mskguard/testing', types: 'dist/shared/testing/index.d.ts', report: 'mskguard-testing.api.md' },
] as const;

const check = process.argv.includes('--check');
const reportFolder = join(PROJECT_ROOT, 'docs', 'api');
const tempFolder = join(PROJECT_ROOT, '.cache', 'api');
mkdirSync(tempFolder, { recursive: true });
mkdirSync(reportFolder, { recursive: true });

let failed = 0;
for (const { entry, types, report } of ENTRIES) {
  const configObject: IConfigFile = {
    projectFolder: PROJECT_ROOT,
    mainEntryPointFilePath: join(PROJECT_ROOT, types),
    compiler: {
      overrideTsconfig: {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: [join(PROJECT_ROOT, types)],
      },
    },
    apiReport: { enabled: true, reportFolder, reportTempFolder: tempFolder, reportFileName: report },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      // Release tags (@public/@beta) are not used: every export of an entry point is public.
      extractorMessageReporting: { 'ae-missing-release-tag': { logLevel: 'none' as never } },
      tsdocMessageReporting: { default: { logLevel: 'none' as never } },
    },
  };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: undefined,
    packageJsonFullPath: join(PROJECT_ROOT, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: !check, showVerboseMessages: false });
  const changed = result.apiReportChanged;
  process.stderr.write(
    `[api] ${entry}: ${changed ? (check ? 'CHANGED — run `npm run build && npm run api:report` and review the diff' : 'report updated') : 'unchanged'} (${result.warningCount} warnings, ${result.errorCount} errors)\n`,
  );
  if (!result.succeeded || (check && changed)) failed += 1;
}
process.exitCode = failed > 0 ? 1 : 0;
