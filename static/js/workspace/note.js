// Session note: autosave while the therapist types (the server keeps the draft), and a
// confirmation before "Sign and lock", which cannot be undone. Signed notes have no form (and
// no script).
import { autosave } from "../autosave.js";
import { confirmDialog, confirmWith } from "../confirm.js";

const form = document.getElementById("note-form");

autosave(form, document.getElementById("autosave-status"), {
  saved: "Draft saved at",
  signedOut: "You were signed out. The draft up to now is saved.",
  conflict: "This note was signed elsewhere. Reload the page to add an addendum.",
});

// Capture phase: ahead of autosave's own submit handler, which would forget unsaved changes.
let confirmed = false;
form?.addEventListener("submit", async (e) => {
  const button = e.submitter;
  if (confirmed || button?.value !== "sign") return;
  e.preventDefault();
  e.stopImmediatePropagation();
  const dialog = confirmDialog({
    id: "confirm-sign", title: "Sign and lock this note?",
    text: "Once signed, the note cannot be changed. Later changes are added as dated addenda.",
    confirm: "Sign and lock", cancel: "Keep editing",
  });
  if (await confirmWith(dialog)) {
    confirmed = true;
    form.requestSubmit(button);
  }
}, { capture: true });
