/* Orchid storefront: small enhancements; every page works without this file. */
(function () {
  "use strict";
  var doc = document;
  doc.documentElement.className += " js";

  // Search suggestions under the header's search box.
  var q = doc.getElementById("q"), box = doc.getElementById("suggestions"), timer, last = "";
  function hide() { if (box) { box.hidden = true; q.setAttribute("aria-expanded", "false"); } }
  if (q && box) {
    q.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = q.value.trim();
        if (text === last) return;
        last = text;
        if (!text) { box.innerHTML = ""; hide(); return; }
        fetch("/search/suggest?q=" + encodeURIComponent(text))
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) {
            if (q.value.trim() !== text) return;
            box.innerHTML = html;
            var any = !!box.querySelector("a");
            box.hidden = !any;
            q.setAttribute("aria-expanded", any ? "true" : "false");
          })
          .catch(hide);
      }, 150);
    });
    q.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && !box.hidden) {
        var first = box.querySelector("a");
        if (first) { e.preventDefault(); first.focus(); }
      } else if (e.key === "Escape") { hide(); }
    });
    box.addEventListener("keydown", function (e) {
      var links = Array.prototype.slice.call(box.querySelectorAll("a"));
      var i = links.indexOf(doc.activeElement);
      if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? links[i - 1] : q).focus(); }
      if (e.key === "Escape") { hide(); q.focus(); }
    });
    doc.addEventListener("click", function (e) {
      if (!box.contains(e.target) && e.target !== q) hide();
    });
  }

  // Product page: the chosen shade or size updates price, stock, picture and the URL.
  var buy = doc.getElementById("buy");
  if (buy) {
    buy.addEventListener("change", function (e) {
      var input = e.target;
      if (input.name !== "sku") return;
      var d = input.dataset;
      function set(id, text) { var el = doc.getElementById(id); if (el) el.textContent = text; }
      set("price-now", d.price);
      set("price-mrp", d.mrp);
      set("price-off", d.off);
      set("variant-name", d.name);
      var stock = doc.getElementById("stock");
      if (stock) { stock.textContent = d.stock; stock.className = "stock " + d.stockClass; }
      var mrp = doc.getElementById("price-mrp-wrap");
      if (mrp) mrp.hidden = !d.off;
      var img = doc.getElementById("main-image");
      if (img && d.image) img.src = d.image;
      var pin = doc.getElementById("pin-sku");
      if (pin) pin.value = input.value;
      var add = doc.getElementById("add");
      if (add) add.disabled = d.stockClass === "out";
      if (history.replaceState) {
        history.replaceState(null, "", location.pathname + "?sku=" + encodeURIComponent(input.value));
      }
    });
  }

  // Quantity selects and filters apply themselves; their buttons are for no-JS visitors.
  doc.querySelectorAll("[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function () { form.submit(); });
    form.querySelectorAll(".js-hide").forEach(function (b) { b.hidden = true; });
  });
  var filters = doc.querySelector("details.filters");
  if (filters && window.matchMedia("(min-width: 900px)").matches) filters.open = true;

  // Checkout: card fields only when paying by card.
  var cardFields = doc.getElementById("card-fields");
  if (cardFields) {
    var sync = function () {
      var card = doc.querySelector("input[name=payment][value=card]");
      cardFields.hidden = !(card && card.checked);
    };
    doc.querySelectorAll("input[name=payment]").forEach(function (r) {
      r.addEventListener("change", sync);
    });
    sync();
  }
})();
