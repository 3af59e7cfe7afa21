// Intake autosave: the server keeps a draft of this step while the client types.
import { autosave } from "../autosave.js";

autosave(document.getElementById("intake-form"), document.getElementById("autosave-status"), {
  saved: "Saved at",
  signedOut: "You were signed out. Your answers up to now are saved.",
}, (form) => {
  const data = new FormData(form);
  data.delete("action");  // the Back/Next button pressed, not an answer
  return data;
});
