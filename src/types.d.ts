// Text imports of SQL migrations (embedded by Bun at build time).
declare module "*.sql" {
  const text: string;
  export default text;
}

// openapi.yaml, embedded as text.
declare module "*.yaml" {
  const text: string;
  export default text;
}
