// Adding a passkey (account settings, and the set-up page of the practice's passkey rule): the
// name (and password) go to the server, which answers with options; the browser makes the
// passkey; the server checks and keeps it.
import { creationOptions, registrationJSON } from "./base64url.js";
import { clearMessages, explain, post, showError, status, supported } from "./passkey-client.js";

const form = document.querySelector("form[data-passkey-add]");
const unsupported = document.querySelector("[data-passkey-unsupported]");

async function add(event) {
  event.preventDefault();
  clearMessages(form);
  const button = form.querySelector('button[type="submit"]');
  const fields = Object.fromEntries(
    [...form.querySelectorAll("input[name]:not([type=hidden])")].map((i) => [i.name, i.value]));
  button.disabled = true;
  try {
    const options = await post(form.dataset.optionsUrl, fields);
    status(form, "Follow your browser's steps to make the passkey…");
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    const done = await post(form.action, { name: fields.name, credential: registrationJSON(credential) });
    location.assign(done.redirect);
  } catch (error) {
    button.disabled = false;
    showError(form, explain(error), error.field);
  }
}

if (form && supported()) {
  form.hidden = false;
  if (unsupported) unsupported.hidden = true;
  form.addEventListener("submit", add);
}
