// Card payments through Stripe: Stripe Elements takes the card in a frame
// of Stripe's, so its number goes from the browser to Stripe, never to the
// shop; the form then sends the PaymentMethod's id. On an order's page, the
// same element runs the 3-D Secure step Stripe asks for, then reloads the
// page (Stripe's webhook settles the payment).
(function () {
  "use strict";
  var mount = document.getElementById("stripe-card");
  var error = document.getElementById("stripe-error");
  if (!mount) return;
  if (!window.Stripe) {
    error.textContent = mount.dataset.unavailable || "Stripe.js did not load.";
    return;
  }
  var stripe = window.Stripe(mount.dataset.key);
  if (mount.dataset.clientSecret) {
    // The page asks Stripe where the payment stands each time it loads:
    // once the step is done, it shows the outcome (or waits for it).
    stripe.handleNextAction({ clientSecret: mount.dataset.clientSecret }).then(function (result) {
      if (result.error) error.textContent = result.error.message;
      else window.setTimeout(function () { window.location.reload(); }, 1500);
    }, function () {
      error.textContent = mount.dataset.unavailable;
    });
    return;
  }
  var form = mount.closest("form");
  var card = stripe.elements({ locale: document.documentElement.lang }).create("card", { hidePostalCode: true });
  card.mount(mount);
  form.addEventListener("submit", function (event) {
    if (form.elements.card_token.value) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    error.textContent = "";
    stripe.createPaymentMethod({ type: "card", card: card }).then(function (result) {
      if (result.error) {
        error.textContent = result.error.message;
        button.disabled = false;
        return;
      }
      form.elements.card_token.value = result.paymentMethod.id;
      form.submit();
    }, function () {
      error.textContent = mount.dataset.unavailable;
      button.disabled = false;
    });
  });
  // Back to this page from the browser's history: a fresh card, a live button.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    form.elements.card_token.value = "";
    form.querySelector("button[type=submit]").disabled = false;
  });
})();
