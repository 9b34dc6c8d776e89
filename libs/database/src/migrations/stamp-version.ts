/** Records `version` in schema_info without ever lowering a newer one. */
export function stampVersion(version: number): string {
  return `insert into "schema_info" ("id", "version", "updated_at") values (1, ${version}, now()) on conflict ("id") do update set "version" = greatest("schema_info"."version", excluded."version"), "updated_at" = now();`;
}
