// Items: a searchable, paged list kept live through the `items` room.
// The list is read once the room is joined (a join without `since`
// delivers only what follows it), so no change falls between the two; an event is applied only when it is newer than what the row
// shows (by `version`), which makes replays after a reconnect harmless.
// Edits are merge-patches sent with `If-Match`; a 412 is shown as a
// conflict with the choice to reload the item or overwrite it.

import { api, ApiError } from "../api.js";
import * as live from "../live.js";
import { field, form, h, jsonObject, mount, showError, when } from "../ui.js";

/** RFC 7396: the merge-patch that turns `from` into `to`. */
export function mergePatch(from, to) {
  const patch = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    const old = from[key];
    const objects = [old, value].every((v) => v && typeof v === "object" && !Array.isArray(v));
    if (objects) {
      const inner = mergePatch(old, value);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (JSON.stringify(old) !== JSON.stringify(value)) {
      patch[key] = value;
    }
  }
  return patch;
}

/** `#/items`. */
export function render(root) {
  const rows = new Map(); // id → { item, li, view }
  const list = h("ul", { className: "list", id: "items", "aria-live": "polite" });
  const more = h("button", { type: "button", className: "secondary", hidden: true }, "Load more");
  const status = h("p", { className: "meta" });
  let query = "";
  let cursor = null;

  function matches(item) {
    return !query || item.name.toLowerCase().includes(query.toLowerCase());
  }

  function show(item, { append = false } = {}) {
    const row = rows.get(item.id);
    if (row) {
      if (item.version <= row.item.version) return;
      row.item = item;
      row.view.replaceWith((row.view = view(item)));
      return;
    }
    if (!matches(item)) return;
    const entry = { item, view: view(item) };
    entry.li = h("li", { className: "card", dataset: { id: item.id } }, entry.view, actions(entry));
    rows.set(item.id, entry);
    if (append) list.append(entry.li);
    else list.prepend(entry.li);
  }

  function remove(id) {
    rows.get(id)?.li.remove();
    rows.delete(id);
  }

  function view(item) {
    return h(
      "div",
      { className: "view" },
      h("h3", { className: "name" }, item.name),
      item.description ? h("p", { className: "description" }, item.description) : null,
      Object.keys(item.attributes).length
        ? h("pre", { className: "attributes" }, JSON.stringify(item.attributes, null, 1))
        : null,
      h("p", { className: "meta" }, `version ${item.version} · updated ${when(item.updated_at)}`),
    );
  }

  function actions(entry) {
    const editor = h("div", { className: "editor" });
    const edit = h("button", { type: "button", className: "secondary" }, "Edit");
    const del = h("button", { type: "button", className: "danger" }, "Delete");
    const error = h("p", { className: "error", role: "alert", hidden: true });
    edit.addEventListener("click", () => {
      editor.replaceChildren(editForm(entry, editor));
      editor.querySelector("input").focus();
    });
    del.addEventListener("click", async () => {
      try {
        await api("DELETE", `/items/${entry.item.id}`);
        remove(entry.item.id);
      } catch (err) {
        showError(error, err);
      }
    });
    return h("div", {}, h("div", { className: "row" }, edit, del), error, editor);
  }

  function editForm(entry, editor) {
    let base = entry.item; // the version this edit started from
    const name = h("input", { name: "name", required: true, value: base.name });
    const description = h("textarea", { name: "description" });
    const attributes = h("textarea", { name: "attributes" });
    const conflict = h("div", { className: "conflict", role: "alert", hidden: true });
    const fill = (item) => {
      base = item;
      name.value = item.name;
      description.value = item.description ?? "";
      attributes.value = JSON.stringify(item.attributes, null, 2);
    };
    fill(base);
    const save = async (ifMatch) => {
      const next = jsonObject(attributes.value, "Attributes");
      const patch = { attributes: mergePatch(base.attributes, next) };
      if (name.value !== base.name) patch.name = name.value;
      if (description.value !== (base.description ?? "")) patch.description = description.value || null;
      const headers = { "content-type": "application/merge-patch+json" };
      if (ifMatch) headers["if-match"] = `"${base.version}"`;
      try {
        show(await api("PATCH", `/items/${base.id}`, { body: patch, headers }));
        editor.replaceChildren();
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 412)) throw err;
        showConflict();
      }
    };
    const showConflict = () => {
      const reload = h("button", { type: "button" }, "Reload");
      const overwrite = h("button", { type: "button", className: "danger" }, "Overwrite");
      reload.addEventListener("click", async () => {
        fill(await api("GET", `/items/${base.id}`));
        conflict.hidden = true;
        name.focus();
      });
      overwrite.addEventListener("click", async () => {
        const current = await api("GET", `/items/${base.id}`);
        const mine = { name: name.value, description: description.value, attributes: attributes.value };
        fill(current);
        Object.assign(name, { value: mine.name });
        description.value = mine.description;
        attributes.value = mine.attributes;
        conflict.hidden = true;
        await save(true);
      });
      conflict.replaceChildren(
        h(
          "p",
          {},
          `Version conflict: this item was changed elsewhere since you opened it (you edited version ${base.version}). `,
          "Reload it to see the current version, or overwrite it with yours.",
        ),
        h("div", { className: "row" }, reload, overwrite),
      );
      conflict.hidden = false;
      reload.focus();
    };
    const cancel = h("button", { type: "button", className: "secondary" }, "Cancel");
    cancel.addEventListener("click", () => editor.replaceChildren());
    return form(
      { className: "edit-form", "aria-label": `Edit ${base.name}` },
      [
        field("Name", name),
        field("Description", description),
        field("Attributes (JSON object)", attributes),
        conflict,
        h("div", { className: "row" }, h("button", { type: "submit" }, "Save"), cancel),
      ],
      () => save(true),
    );
  }

  async function load(reset) {
    if (reset) {
      rows.clear();
      list.replaceChildren();
      cursor = null;
    }
    const params = new URLSearchParams({ limit: "20" });
    if (query) params.set("q", query);
    if (cursor) params.set("cursor", cursor);
    const page = await api("GET", `/items?${params}`);
    for (const item of page.data) show(item, { append: true });
    cursor = page.next_cursor;
    more.hidden = !cursor;
    status.textContent = rows.size ? "" : "No items yet.";
  }

  let joined = false;
  function onFrame(frame) {
    const fresh = frame.type === "joined" && !joined;
    joined ||= frame.type === "joined";
    if (fresh || (frame.type === "error" && frame.code === "resync_required")) {
      load(true).catch((err) => showError(status, err));
    }
    if (frame.type !== "event") return;
    if (frame.event === "item.deleted") remove(frame.data.id);
    else show(frame.data);
    status.textContent = rows.size ? "" : "No items yet.";
  }

  const create = form(
    { id: "create-item", "aria-label": "New item" },
    [
      h(
        "fieldset",
        {},
        h("legend", {}, "New item"),
        field("Name", h("input", { name: "name", required: true, maxLength: 200 })),
        field("Description", h("textarea", { name: "description" })),
        field("Attributes (JSON object)", h("textarea", { name: "attributes", placeholder: '{"color": "red"}' })),
        h("div", { className: "row" }, h("button", { type: "submit" }, "Create")),
      ),
    ],
    async (data, el) => {
      const body = { name: data.name, attributes: jsonObject(data.attributes, "Attributes") };
      if (data.description) body.description = data.description;
      show(await api("POST", "/items", { body }));
      el.reset();
    },
  );
  const search = form(
    { role: "search", className: "row" },
    [
      h("input", { name: "q", type: "search", "aria-label": "Search items by name", placeholder: "Search by name" }),
      h("button", { type: "submit", className: "secondary" }, "Search"),
    ],
    async ({ q }) => {
      query = q.trim();
      await load(true);
    },
  );
  more.addEventListener("click", () => load(false).catch((err) => showError(status, err)));
  mount(root, h("h1", {}, "Items"), create, search, status, list, more);
  live.join("items", onFrame);
  // Without a live connection the list still loads, a little later.
  const fallback = setTimeout(() => joined || load(true).catch((err) => showError(status, err)), 3000);
  return () => {
    clearTimeout(fallback);
    live.leave("items");
  };
}
