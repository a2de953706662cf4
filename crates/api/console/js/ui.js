// Small DOM helpers: elements built with createElement (no innerHTML, so
// nothing the server sends is ever parsed as HTML), forms, errors, time.

/** An element: `h("button", {type: "submit", onclick}, "Save")`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof el[key] !== "function" && key !== "list") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

/** A labelled control: `field("Name", h("input", {name: "name"}))`. */
export function field(label, control) {
  return h("label", {}, label, control);
}

/** A form whose `submit(data, form)` runs with its values; errors land in
 * the form's error line, and the submit button is disabled meanwhile. */
export function form(attrs, children, submit) {
  const error = h("p", { className: "error", role: "alert", hidden: true });
  const el = h("form", attrs, ...children, error);
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = el.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    error.hidden = true;
    try {
      await submit(Object.fromEntries(new FormData(el)), el);
    } catch (err) {
      showError(error, err);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
  return el;
}

/** Shows an error (a problem document's detail when there is one). */
export function showError(el, err) {
  const fields = (err.problem?.errors || []).map((e) => `${e.field}: ${e.message}`);
  el.textContent = [err.message, ...fields].join(" — ");
  el.hidden = false;
}

/** Parses a JSON-object text area (empty → `{}`). */
export function jsonObject(text, what) {
  const value = text.trim() ? JSON.parse(text) : {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object`);
  }
  return value;
}

/** A timestamp for people. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

/** Replaces a page's content and moves focus to it. */
export function mount(root, ...children) {
  root.replaceChildren(...children);
}
