/** /api/v1/aliases over real HTTP, including delivery through an alias over real SMTP. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { expectProblem, makeMessage } from "./helpers.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "ann@example.com" }, { address: "ben@example.com" }]);
});

afterAll(async () => {
  await server.close();
});

interface AliasBody {
  address: string;
  targets: string[];
  createdAt: number;
}

const create = (json: unknown) => server.api("/api/v1/aliases", { method: "POST", json });

describe("/api/v1/aliases", () => {
  test("POST /api/v1/aliases returns 201 with the normalised alias and its targets", async () => {
    const res = await create({
      address: "Team@Example.com",
      targets: ["ben@example.com", "ANN@example.com"],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("/api/v1/aliases/team%40example.com");
    const body = (await res.json()) as AliasBody;
    expect(body.address).toBe("team@example.com");
    expect(body.targets).toEqual(["ann@example.com", "ben@example.com"]);
  });

  test("GET /api/v1/aliases lists aliases with their targets", async () => {
    await create({ address: "info@example.com", targets: ["ann@example.com"] });
    const body = (await (await server.api("/api/v1/aliases")).json()) as { items: AliasBody[] };
    expect(body.items.find((a) => a.address === "info@example.com")?.targets).toEqual(["ann@example.com"]);
  });

  test("POST /api/v1/aliases returns 409 for a duplicate alias", async () => {
    await create({ address: "twice@example.com", targets: ["ann@example.com"] });
    await expectProblem(await create({ address: "twice@example.com", targets: ["ben@example.com"] }), 409);
  });

  test("POST /api/v1/aliases returns 409 when an account has the address", async () => {
    await expectProblem(await create({ address: "ann@example.com", targets: ["ben@example.com"] }), 409);
  });

  test("POST /api/v1/aliases returns 422 naming a target account that does not exist", async () => {
    const body = await expectProblem(
      await create({ address: "ghost@example.com", targets: ["nobody@example.com"] }),
      422,
    );
    expect(body.detail).toContain("nobody@example.com");
  });

  test("POST /api/v1/aliases returns 422 for an empty target list or a missing address", async () => {
    const body = await expectProblem(await create({ targets: [] }), 422);
    const paths = body.errors?.map((e) => e.path) ?? [];
    expect(paths).toContain("address");
    expect(paths).toContain("targets");
  });

  test("POST /api/v1/aliases returns 422 for an alias on a domain that is not local", async () => {
    await expectProblem(await create({ address: "x@remote.example", targets: ["ann@example.com"] }), 422);
  });

  test("POST /api/v1/aliases returns 400 for malformed JSON", async () => {
    await expectProblem(
      await server.api("/api/v1/aliases", {
        method: "POST",
        body: "[",
        headers: { "content-type": "application/json" },
      }),
      400,
    );
  });

  test("DELETE /api/v1/aliases/{address} returns 204, then 404", async () => {
    await create({ address: "temp@example.com", targets: ["ann@example.com"] });
    expect((await server.api("/api/v1/aliases/temp@example.com", { method: "DELETE" })).status).toBe(204);
    await expectProblem(await server.api("/api/v1/aliases/temp@example.com", { method: "DELETE" }), 404);
  });

  test("GET /api/v1/aliases returns 401 without a token", async () => {
    await expectProblem(await server.api("/api/v1/aliases", { headers: { authorization: "" } }), 401);
  });

  test("mail sent over SMTP to an alias reaches every target's INBOX", async () => {
    await create({ address: "both@example.com", targets: ["ann@example.com", "ben@example.com"] });
    const reply = await sendMail(
      server.ports.smtp!,
      "someone@remote.example",
      ["both@example.com"],
      makeMessage({ subject: "to the alias" }),
    );
    expect(reply.code).toBe(250);
    for (const account of ["ann@example.com", "ben@example.com"]) {
      const res = await server.api(
        `/api/v1/accounts/${account}/mailboxes/INBOX/messages?q=${encodeURIComponent("to the alias")}`,
      );
      const body = (await res.json()) as { items: Array<{ subject: string }> };
      expect(body.items.map((m) => m.subject)).toEqual(["to the alias"]);
    }
  });
});
