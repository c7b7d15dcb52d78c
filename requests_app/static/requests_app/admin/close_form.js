/* The close form (requests_app.admin.actions.CloseForm): the denial fields (reason, explanation,
   legal basis) are shown only while the chosen outcome denies the request in whole or in part.
   Hidden fields are also disabled, so a reason typed before switching to "complied" is not
   sent. "What we did" is shown only for "complied in part". Without JavaScript every field
   stays visible and the service checks the combination. */
"use strict";
(function () {
  function setUp() {
    const outcome = document.querySelector("select[data-denial-outcomes]");
    if (!outcome) {
      return;
    }
    const denials = outcome.dataset.denialOutcomes.split(" ");
    const fields = Array.from(document.querySelectorAll("[data-denial-field]"));
    const inPartFields = Array.from(document.querySelectorAll("[data-in-part-field]"));
    function show(field, shown) {
      const row = field.closest(".form-row") || field;
      row.style.display = shown ? "" : "none";
      field.disabled = !shown;
    }
    function update() {
      const shown = denials.includes(outcome.value);
      for (const field of fields) {
        show(field, shown);
      }
      for (const field of inPartFields) {
        show(field, outcome.value === outcome.dataset.inPartOutcome);
      }
    }
    outcome.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
