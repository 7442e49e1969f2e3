/**
 * protocol/api-types.ts from protocol/openapi.json (the document the Worker serves, kept
 * current by its test): the types openapi-fetch checks the CLI's and the demo page's calls
 * against. Run through `npm run gen:client`; test/contract/openapi.test.ts fails while the
 * committed file differs from what this generates.
 *
 * It lives in a workspace of its own because openapi-typescript drives the TypeScript 5
 * compiler API, which the repository's TypeScript 7 (native) does not expose.
 */
import { writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";

export const DOCUMENT = new URL("../../protocol/openapi.json", import.meta.url);
export const TYPES = new URL("../../protocol/api-types.ts", import.meta.url);

const HEADER =
  "/**\n * Generated from protocol/openapi.json by `npm run gen:client`: do not edit.\n" +
  " * The paths, operations and schemas of the edge API, for openapi-fetch.\n */\n\n";

/** The types file's whole text for the document at `document`. */
export async function generateApiTypes(document: URL = DOCUMENT): Promise<string> {
  const ast = await openapiTS(document, { alphabetize: false, exportType: false });
  return HEADER + astToString(ast);
}

if (import.meta.main) {
  writeFileSync(TYPES, await generateApiTypes());
  console.log(`wrote ${TYPES.pathname.split("/").slice(-2).join("/")}`);
}
