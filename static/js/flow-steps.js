/* Drag-and-drop ordering of a flow's steps (SortableJS). The new order is POSTed with the page's CSRF
   token; the up/down buttons beside each step do the same without JavaScript. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var list = document.getElementById("steps");
    if (!list || typeof Sortable === "undefined") return;
    var form = document.getElementById(list.dataset.reorderForm);
    var status = document.getElementById("reorder-status");
    document.documentElement.classList.add("can-drag");

    function renumber() {
      var items = list.querySelectorAll("li[data-id]");
      items.forEach(function (item, index) {
        var number = item.querySelector(".step-position");
        if (number) number.textContent = String(index + 1);
        var buttons = item.querySelectorAll(".step-move button");
        if (buttons.length === 2) {
          buttons[0].disabled = index === 0;
          buttons[1].disabled = index === items.length - 1;
        }
      });
    }

    function save(ids, previous) {
      var data = new FormData(form);
      data.set("order", ids.join(","));
      list.setAttribute("aria-busy", "true");
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          status.textContent = "Order saved.";
        })
        .catch(function () {
          // Put the steps back as the server still has them.
          previous.forEach(function (id) {
            list.appendChild(list.querySelector('li[data-id="' + id + '"]'));
          });
          renumber();
          status.textContent = "The order could not be saved. Please try again.";
        })
        .finally(function () {
          list.removeAttribute("aria-busy");
        });
    }

    var before = [];
    Sortable.create(list, {
      handle: ".handle",
      animation: 150,
      ghostClass: "step-ghost",
      dataIdAttr: "data-id",
      onStart: function () {
        before = this.toArray();
      },
      onEnd: function (event) {
        if (event.oldIndex === event.newIndex) return;
        renumber();
        save(this.toArray(), before);
      },
    });
  });
})();
