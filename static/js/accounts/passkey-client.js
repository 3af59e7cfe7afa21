// What the passkey pages share: JSON requests with the form's CSRF token, the browser's errors in
// plain words, and messages next to a field or by the button.

export const supported = () =>
  typeof window.PublicKeyCredential === "function" && !!navigator.credentials;

// The page's CSRF token: the signed-in pages' meta tag, else any of the page's forms (the
// passkey forms have no hidden field of their own: the page's other forms hold the same token).
const csrfToken = () =>
  document.querySelector('meta[name="csrf-token"]')?.content
  || document.querySelector('input[name="csrf_token"]')?.value || "";

// POST `body` as JSON; resolves to the answer's JSON, or throws an Error carrying the server's
// message (and the field it is about).
export async function post(url, body) {
  const token = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body),
    });
  } catch {
    throw Object.assign(new Error("We could not reach the portal. Check your connection and try again."), { plain: true });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    throw Object.assign(new Error(error.message || "Something went wrong. Please try again."),
      { plain: true, field: error.field || null });
  }
  return data;
}

// The browser's own errors (DOMException names), in plain words.
export function explain(error) {
  if (error?.plain) return error.message;
  switch (error?.name) {
    case "NotAllowedError":
      return "The passkey request was cancelled or timed out. You can try again.";
    case "InvalidStateError":
      return "This device already holds a passkey for your account. Use another device or security key.";
    case "SecurityError":
      return "Passkeys work only on the portal's usual web address. Please open it that way and try again.";
    default:
      return "Your browser could not use a passkey just now. Please try again, or use another way.";
  }
}

export function clearMessages(form) {
  for (const p of form.querySelectorAll("p.error[data-passkey-error]")) {
    const input = form.querySelector(`[aria-describedby~="${p.id}"]`);
    if (input) {
      input.removeAttribute("aria-invalid");
      const rest = input.getAttribute("aria-describedby").split(" ").filter((id) => id !== p.id);
      if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
      else input.removeAttribute("aria-describedby");
    }
    p.remove();
  }
  status(form, "");
}

export function status(form, message) {
  const region = form.querySelector("[data-passkey-status]");
  if (region) region.textContent = message;
}

// A message next to the input named `field` (wired like the server-rendered field macro), or
// in the status line by the button when there is no such field.
export function showError(form, message, field) {
  const input = field ? form.querySelector(`[name="${field}"]`) : null;
  if (!input) {
    status(form, message);
    return;
  }
  const p = document.createElement("p");
  p.className = "error";
  p.id = `${input.id}-error`;
  p.dataset.passkeyError = "";
  p.textContent = message;
  input.closest(".field")?.append(p);
  input.setAttribute("aria-invalid", "true");
  const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  input.setAttribute("aria-describedby", [...ids, p.id].join(" "));
  input.focus();
}
