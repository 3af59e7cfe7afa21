// Session note autosave: the server keeps the draft while the therapist types. Signed notes
// have no form (and no script).
import { autosave } from "../autosave.js";

autosave(document.getElementById("note-form"), document.getElementById("autosave-status"), {
  saved: "Draft saved at",
  signedOut: "You were signed out. The draft up to now is saved.",
  conflict: "This note was signed elsewhere. Reload the page to add an addendum.",
});
