import { defineConfig } from "drizzle-kit";

// drizzle-kit reads this to generate migrations/ from src/store/schema.ts (`bun run db:generate`).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/store/schema.ts",
  out: "./migrations",
});
