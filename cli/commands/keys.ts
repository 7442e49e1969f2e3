import { parseArgs } from "node:util";
import { API_HELP, adminToken, apiClient, COMMON_OPTIONS, ok } from "../api.ts";
import type { Command } from "./types.ts";

export const keys: Command = {
  summary: "manage API keys: create, list, revoke (admin)",
  help: `Usage: npx fcn keys create [--name NAME] | list | revoke <key-id>  [--api URL] [--json]

Keys are stored hashed; \`create\` shows the key and its webhook secret once.
Locally the admin token comes from .dev.vars (written by \`npm start\`); for a deployed Worker
pass --admin-token or set FCN_ADMIN_TOKEN (the Worker's ADMIN_TOKEN secret).

Options:
  --name <name>        a label for the new key
  --admin-token <t>    the admin token
${API_HELP}`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...COMMON_OPTIONS, name: { type: "string" } },
    });
    const [action, id] = positionals;
    const o = { api: values.api, adminToken: values["admin-token"] };
    const api = apiClient(o, adminToken(o));
    if (action === "create") {
      const { data: key } = await ok(api.POST("/v1/admin/keys", { body: { name: values.name ?? "cli" } }));
      if (values.json)
        console.log(JSON.stringify({ id: key.id, key: key.key, webhook_secret: key.webhook_secret }));
      else
        console.log(
          `created ${key.id}\n  key             ${key.key}\n  webhook secret  ${key.webhook_secret}\nStore both now: they are not shown again.`,
        );
      return 0;
    }
    if (action === "list") {
      const {
        data: { data },
      } = await ok(api.GET("/v1/admin/keys"));
      if (values.json) console.log(JSON.stringify(data));
      else
        for (const k of data)
          console.log(
            `${k.id}  ${k.key_prefix}…  ${k.name.padEnd(16)} ${k.created_at}${k.revoked_at ? `  revoked ${k.revoked_at}` : ""}`,
          );
      return 0;
    }
    if (action === "revoke" && id) {
      await ok(api.DELETE("/v1/admin/keys/{id}", { params: { path: { id } } }));
      console.log(values.json ? JSON.stringify({ id, revoked: true }) : `revoked ${id}`);
      return 0;
    }
    throw new Error("usage: npx fcn keys create|list|revoke <id> (see --help)");
  },
};
