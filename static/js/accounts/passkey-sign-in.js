// Signing in with a passkey: without a password (sign-in page) or as the second factor (two-step
// page). The server gives a challenge, the browser signs it with the passkey the person picks,
// the server checks the signature and says where to go next.
import { assertionJSON, requestOptions } from "./base64url.js";
import { clearMessages, explain, post, showError, status, supported } from "./passkey-client.js";

const section = document.querySelector("[data-passkey-section]");
const form = document.querySelector("form[data-passkey-sign-in]");

async function signIn(event) {
  event.preventDefault();
  clearMessages(form);
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const options = await post(form.dataset.optionsUrl, {});
    status(form, "Follow your browser's steps to use your passkey…");
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    const done = await post(form.action, { credential: assertionJSON(credential), next: form.dataset.next || "" });
    location.assign(done.redirect);
  } catch (error) {
    button.disabled = false;
    showError(form, explain(error), null);
  }
}

if (section && form && supported()) {
  section.hidden = false;
  form.addEventListener("submit", signIn);
}
