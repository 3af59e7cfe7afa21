// Confirmation before an irreversible action (ending a call, signing and locking a note), in a
// native modal <dialog>: focus moves in and is trapped, Escape cancels, focus returns to the
// button that opened it. The safe choice has the initial focus.

// Open `dialog` (its <form method="dialog"> buttons carry value="confirm" / "cancel");
// resolves to true when the person confirmed.
export function confirmWith(dialog) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => {
      opener?.focus?.();
      resolve(dialog.returnValue === "confirm");
    }, { once: true });
    dialog.showModal();
  });
}

// Build such a dialog once: {id, title, text, confirm, cancel}. Returns the <dialog>.
export function confirmDialog({ id, title, text, confirm, cancel = "Cancel" }) {
  const existing = document.getElementById(id);
  if (existing) return existing;
  const dialog = document.createElement("dialog");
  dialog.id = id;
  dialog.className = "confirm-dialog";
  dialog.setAttribute("aria-labelledby", `${id}-title`);
  dialog.setAttribute("aria-describedby", `${id}-text`);
  const form = document.createElement("form");
  form.method = "dialog";
  form.className = "stack";
  const h = document.createElement("h2");
  h.id = `${id}-title`;
  h.textContent = title;
  const p = document.createElement("p");
  p.id = `${id}-text`;
  p.textContent = text;
  const actions = document.createElement("div");
  actions.className = "form-actions";
  const no = Object.assign(document.createElement("button"), { type: "submit", value: "cancel", className: "btn btn-secondary", textContent: cancel, autofocus: true });
  const yes = Object.assign(document.createElement("button"), { type: "submit", value: "confirm", className: "btn btn-primary", textContent: confirm });
  actions.append(no, yes);
  form.append(h, p, actions);
  dialog.append(form);
  document.body.append(dialog);
  return dialog;
}
