// Comptoir shop: what htmx does not do by itself. Pages work without it.
//
// htmx swaps nothing when an answer is an error (a form left open too
// long, a quantity refused, the server unreachable): the shopper would
// click and see nothing happen. The error page's title and text, or the
// page's own words when the answer is not ours, go to the flash message.
(function () {
  "use strict";
  function flash() {
    return document.getElementById("flash");
  }
  function show(text) {
    var box = flash();
    if (!box) return;
    box.textContent = text;
    box.classList.add("failed");
  }
  function clear() {
    var box = flash();
    if (box && box.classList.contains("failed")) {
      box.textContent = "";
      box.classList.remove("failed");
    }
  }
  document.addEventListener("htmx:beforeRequest", clear);
  // A message swapped in by an answer (the cart badge's "added") is not an
  // error, even when an earlier request failed meanwhile.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target || event.target;
    if (target && target.id === "flash") {
      target.classList.remove("failed");
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var answer = new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html");
    var title = answer.querySelector("main.error h1");
    var text = answer.querySelector("main.error h1 + p");
    if (title && text) {
      show(title.textContent + " — " + text.textContent);
    } else {
      show(document.body.dataset.failed || "");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    show(document.body.dataset.offline || "");
  });
})();
