// Agents: the list with each agent's live online/offline state, last
// heartbeat and metadata, kept current through the `agents` room
// (`agent.heartbeat` is live only, so a reload reads `last_status` over
// REST). Registering shows the new agent's token once. Agent commands get
// their own section per agent once the API has them.

import { api } from "../api.js";
import * as live from "../live.js";
import { field, form, h, jsonObject, mount, showError, when } from "../ui.js";
import { mergePatch } from "./items.js";

/** `#/agents`. */
export function render(root) {
  const cards = new Map(); // id → { agent, li, view }
  const list = h("ul", { className: "list", id: "agents" });
  const status = h("p", { className: "meta" });
  const token = h("div", { role: "status" });

  function view(agent) {
    const online = agent.status === "online";
    return h(
      "div",
      { className: "view" },
      h("h3", {}, agent.name, " ", h("span", { className: `badge ${agent.status}` }, online ? "online" : "offline")),
      agent.description ? h("p", {}, agent.description) : null,
      h(
        "p",
        { className: "meta" },
        `last seen ${when(agent.last_seen_at)}`,
        online ? ` · connected ${when(agent.connected_at)}` : "",
      ),
      h("p", { className: "meta" }, "Last heartbeat:"),
      h("pre", { className: "last-status" }, agent.last_status ? JSON.stringify(agent.last_status) : "none yet"),
      h("p", { className: "meta" }, "Metadata:"),
      h("pre", { className: "metadata" }, JSON.stringify(agent.metadata, null, 1)),
    );
  }

  function show(agent, { append = false } = {}) {
    const card = cards.get(agent.id);
    if (card) {
      if (agent.version < card.agent.version) return;
      if (Date.parse(card.agent.last_seen_at) > Date.parse(agent.last_seen_at ?? 0)) {
        // A live heartbeat is newer than what this copy was read with.
        agent = { ...agent, last_status: card.agent.last_status, last_seen_at: card.agent.last_seen_at };
      }
      card.agent = agent;
      card.view.replaceWith((card.view = view(agent)));
      return;
    }
    const entry = { agent, view: view(agent) };
    entry.li = h("li", { className: "card", dataset: { id: agent.id } }, entry.view, metadataEditor(entry));
    cards.set(agent.id, entry);
    if (append) list.append(entry.li);
    else list.prepend(entry.li);
  }

  function metadataEditor(entry) {
    const text = h("textarea", { name: "metadata" });
    const details = h("details", {}, h("summary", {}, "Edit metadata"));
    details.addEventListener("toggle", () => {
      if (details.open) text.value = JSON.stringify(entry.agent.metadata, null, 2);
    });
    details.append(
      form({}, [field("Metadata (JSON object)", text), h("div", { className: "row" }, h("button", { type: "submit" }, "Save"))], async () => {
        const patch = mergePatch(entry.agent.metadata, jsonObject(text.value, "Metadata"));
        show(
          await api("PATCH", `/agents/${entry.agent.id}/metadata`, {
            body: patch,
            headers: { "content-type": "application/merge-patch+json" },
          }),
        );
        details.open = false;
      }),
    );
    const del = h("button", { type: "button", className: "danger" }, "Delete");
    del.addEventListener("click", () =>
      api("DELETE", `/agents/${entry.agent.id}`)
        .then(() => drop(entry.agent.id))
        .catch((err) => showError(status, err)),
    );
    return h("div", {}, details, h("div", { className: "row" }, del));
  }

  function drop(id) {
    cards.get(id)?.li.remove();
    cards.delete(id);
  }

  async function load() {
    cards.clear();
    list.replaceChildren();
    let cursor = null;
    do {
      const params = new URLSearchParams({ limit: "100" });
      if (cursor) params.set("cursor", cursor);
      const page = await api("GET", `/agents?${params}`);
      for (const agent of page.data) show(agent, { append: true });
      cursor = page.next_cursor;
    } while (cursor);
    status.textContent = cards.size ? "" : "No agents yet.";
  }

  let joined = false;
  function onFrame(frame) {
    if ((frame.type === "joined" && !joined) || (frame.type === "error" && frame.code === "resync_required")) {
      joined = true;
      load().catch((err) => showError(status, err));
    }
    if (frame.type !== "event") return;
    if (frame.event === "agent.deleted") drop(frame.data.id);
    else if (frame.event === "agent.heartbeat") {
      const card = cards.get(frame.data.agent_id);
      if (card) show({ ...card.agent, last_status: frame.data.status, last_seen_at: frame.data.last_seen_at });
    } else show(frame.data);
  }

  const create = form(
    { id: "create-agent" },
    [
      h(
        "fieldset",
        {},
        h("legend", {}, "Register an agent"),
        field("Name", h("input", { name: "name", required: true, maxLength: 200 })),
        field("Metadata (JSON object)", h("textarea", { name: "metadata", placeholder: '{"site": "lab"}' })),
        h("div", { className: "row" }, h("button", { type: "submit" }, "Register")),
      ),
    ],
    async (data, el) => {
      const created = await api("POST", "/agents", {
        body: { name: data.name, metadata: jsonObject(data.metadata, "Metadata") },
      });
      const { token: secret, ...agent } = created;
      show(agent);
      token.replaceChildren(
        h("p", {}, `Token for ${agent.name} (shown once — the agent connects to /ws/agent with it):`),
        h("p", { className: "token" }, secret),
      );
      el.reset();
    },
  );
  mount(root, h("h1", {}, "Agents"), create, token, status, list);
  // Read once the room is joined, so no change falls between the two.
  live.join("agents", onFrame);
  const fallback = setTimeout(() => joined || load().catch((err) => showError(status, err)), 3000);
  return () => {
    clearTimeout(fallback);
    live.leave("agents");
  };
}
