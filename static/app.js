// Latchkey console behaviours.
//
// Everything is driven by data attributes so the templates never need inline
// scripts (the console's CSP is script-src 'self'). Listeners are attached
// once, on document, and use event delegation, so content that htmx swaps in
// later works without re-binding. Per-element state that must be computed
// when content appears (button enabled/disabled, dialogs opening) is
// refreshed on DOMContentLoaded and on htmx:load, whose target is the root of
// the new content.
//
//   <button data-copy="ID">               copy the value/text of #ID
//   <input data-confirm-match="TEXT"
//          data-confirm-button="ID">      #ID disabled unless value === TEXT
//   <input type=checkbox data-enables="ID">  #ID enabled while checked
//   <el data-enable-on-copy="ID">         #ID enabled once something inside
//                                         el (or el itself) is copied
//   <dialog data-auto-open
//           data-close-href="URL">        showModal() on appear; on close
//                                         go to URL
//   <button data-dialog-close>            close the enclosing dialog
//   <form data-confirm="MESSAGE">         window.confirm before submitting
//   <input type=checkbox data-shows="ID">   #ID visible only while checked
//   <input type=checkbox data-hides="ID">   #ID hidden while checked
//                                         (the fields stay in the form, so
//                                         their values are still sent)
//   <details data-dropdown>               closes on a click outside it or
//                                         on Escape (it opens and closes
//                                         without JavaScript too)
//   <select data-none-hides="ID">         #ID hidden while NONE is chosen
//   <button data-theme-toggle>            cycles the theme: the system's,
//                                         dark, light; remembered in
//                                         localStorage
//   <dialog data-guard>                   Escape or a click outside shows
//     <el data-guard-prompt hidden>       the prompt instead of closing;
//       <button data-guard-keep>          only data-guard-discard (or a
//       <button data-guard-discard>       data-dialog-close such as OK)
//                                         closes it
//   <el hx-target="#dialog-slot">         the opener: focus returns to it
//                                         when its dialog closes in place
//   <input data-selects="ID">             typing in it ticks the radio #ID
//                                         (a date beside "A date")
//   <input type=file data-fills="ID">     a chosen file's text fills the
//                                         textarea #ID
//   <el data-js-only hidden>              shown once this script runs
(function () {
  "use strict";

  var COPIED_EVENT = "latchkey:copied";
  var COPIED_LABEL = "Copied";
  var MANUAL_LABEL = "Press Ctrl+C";

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  // Elements matching selector within root, including root itself: htmx:load
  // targets the swapped-in element, which may itself carry the attribute.
  function within(root, selector) {
    var found = [];
    if (!root || typeof root.querySelectorAll !== "function") {
      return found;
    }
    if (typeof root.matches === "function" && root.matches(selector)) {
      found.push(root);
    }
    var all = root.querySelectorAll(selector);
    for (var i = 0; i < all.length; i++) {
      found.push(all[i]);
    }
    return found;
  }

  function isTextControl(el) {
    return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement;
  }

  // ---- a. Copy to clipboard ------------------------------------------------

  // selectContents leaves the element's text selected so that, if no copy
  // API works, the user only has to press Ctrl+C.
  function selectContents(el) {
    if (isTextControl(el)) {
      el.focus();
      el.select();
      // iOS Safari ignores select() on some inputs.
      try {
        el.setSelectionRange(0, el.value.length);
      } catch (e) {
        // Not every input type supports selection ranges; select() sufficed.
      }
      return;
    }
    var selection = window.getSelection();
    if (!selection) {
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(el);
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // legacyCopy is the fallback for plain-HTTP deployments, where
  // navigator.clipboard does not exist (it needs a secure context).
  function legacyCopy(el) {
    selectContents(el);
    try {
      return document.execCommand("copy") === true;
    } catch (e) {
      return false;
    }
  }

  function copyText(el, text) {
    var clipboard = navigator.clipboard;
    if (window.isSecureContext && clipboard && typeof clipboard.writeText === "function") {
      return clipboard.writeText(text).then(
        function () {
          return true;
        },
        function () {
          // Denied (no permission, document not focused, ...): try the old way.
          return legacyCopy(el);
        }
      );
    }
    return Promise.resolve(legacyCopy(el));
  }

  function setButtonLabel(button, label) {
    // Remember the original label once, so repeated clicks never "restore"
    // to "Copied".
    // innerHTML, not textContent: a label such as "Copy<span class=sr-only>
    // the id of …</span>" must come back with its hidden part still hidden.
    if (button.dataset.copyLabel === undefined) {
      button.dataset.copyLabel = button.innerHTML;
    }
    // Announce the change: a focused button's new text is not read otherwise.
    button.setAttribute("aria-live", "polite");
    button.textContent = label;
  }

  function restoreButtonLabel(button) {
    if (button.dataset.copyLabel !== undefined) {
      button.innerHTML = button.dataset.copyLabel;
    }
  }

  function onCopyClick(button) {
    var target = byId(button.getAttribute("data-copy"));
    if (!target) {
      return;
    }
    var text = isTextControl(target) ? target.value : target.textContent;
    clearTimeout(button._latchkeyCopyTimer);
    restoreButtonLabel(button);
    copyText(target, text).then(function (ok) {
      if (!ok) {
        // Keep the selection made by legacyCopy so Ctrl+C is all that's left.
        setButtonLabel(button, MANUAL_LABEL);
        return;
      }
      setButtonLabel(button, COPIED_LABEL);
      button._latchkeyCopyTimer = setTimeout(function () {
        restoreButtonLabel(button);
      }, 2000);
      target.dispatchEvent(
        new CustomEvent(COPIED_EVENT, { bubbles: true, detail: { button: button } })
      );
    });
  }

  // ---- b. Typed confirmation -----------------------------------------------

  // syncConfirmMatch compares exactly (no trimming, no case folding): the
  // server applies the same rule, and the button should not promise
  // otherwise.
  function syncConfirmMatch(input) {
    var button = byId(input.getAttribute("data-confirm-button"));
    if (button) {
      button.disabled = input.value !== input.getAttribute("data-confirm-match");
    }
  }

  // ---- c. Enable a button by checkbox or by copying --------------------------

  function syncEnables(checkbox) {
    var button = byId(checkbox.getAttribute("data-enables"));
    if (button) {
      // A copy that already enabled the button keeps it enabled.
      button.disabled = !checkbox.checked && button.dataset.enabledByCopy !== "true";
    }
  }

  function onCopied(event) {
    var el = event.target instanceof Element ? event.target : null;
    // Every ancestor carrying the attribute reacts, not only the nearest.
    while (el) {
      el = el.closest("[data-enable-on-copy]");
      if (!el) {
        break;
      }
      var button = byId(el.getAttribute("data-enable-on-copy"));
      if (button) {
        button.dataset.enabledByCopy = "true";
        button.disabled = false;
      }
      el = el.parentElement;
    }
  }

  function syncToggle(checkbox) {
    var shows = byId(checkbox.getAttribute("data-shows"));
    if (shows) {
      shows.hidden = !checkbox.checked;
    }
    var hides = byId(checkbox.getAttribute("data-hides"));
    if (hides) {
      hides.hidden = checkbox.checked;
    }
  }

  function syncNoneHides(select) {
    var target = byId(select.getAttribute("data-none-hides"));
    if (target) {
      target.hidden = select.value === "NONE";
    }
  }

  // ---- d. Dialogs -----------------------------------------------------------

  function autoOpen(dialog) {
    // Open each dialog once: htmx:load also fires for unrelated swaps and
    // for the whole body, and a dialog the user closed must stay closed.
    if (dialog.dataset.autoOpened === "true" || typeof dialog.showModal !== "function") {
      return;
    }
    dialog.dataset.autoOpened = "true";
    if (dialog.open) {
      // Rendered with the open attribute so it is visible without
      // JavaScript; showModal() throws on an already open (non-modal)
      // dialog. Removing the attribute does not fire "close".
      dialog.removeAttribute("open");
    }
    try {
      dialog.showModal();
    } catch (e) {
      // Not connected or otherwise unable to be modal: show it inline.
      dialog.setAttribute("open", "");
    }
    // A form re-rendered with the person's input focuses it with the caret
    // at the start; put it at the end so typing continues the text.
    var field = dialog.querySelector("input[autofocus]");
    if (field && field.value && typeof field.setSelectionRange === "function") {
      try {
        field.setSelectionRange(field.value.length, field.value.length);
      } catch (e) {
        // Input types without selection support keep the browser's caret.
      }
    }
  }

  // ---- d'. Guarded dialogs and focus -------------------------------------

  // opener is the control that asked for the dialog now open, so closing
  // the dialog in place can give the focus back to it (keyboard users
  // would otherwise start again from the top of the page).
  var opener = null;

  // guardPrompt shows a guarded dialog's question and focuses its safe
  // answer; Enter then keeps the value, never throws it away.
  function guardPrompt(dialog) {
    var prompt = dialog.querySelector("[data-guard-prompt]");
    if (!prompt) {
      return;
    }
    prompt.hidden = false;
    var keep = prompt.querySelector("[data-guard-keep]");
    if (keep) {
      keep.focus();
    }
  }

  // allowClose lets a guarded dialog close once; everything else that
  // closes it (Escape, a close request from the browser) is undone.
  function allowClose(dialog) {
    dialog.dataset.guardReleased = "true";
    dialog.close();
  }

  function onDialogCancel(event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.hasAttribute("data-guard")) {
      event.preventDefault();
      guardPrompt(dialog);
    }
  }

  function onDialogClose(event) {
    var dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement)) {
      return;
    }
    if (dialog.hasAttribute("data-guard") && dialog.dataset.guardReleased !== "true") {
      // The browser may close a modal dialog without a cancelable cancel
      // event (a second Escape without user activation): open it again,
      // with its value, and ask.
      try {
        dialog.showModal();
      } catch (e) {
        dialog.setAttribute("open", "");
      }
      guardPrompt(dialog);
      return;
    }
    var href = dialog.getAttribute("data-close-href");
    if (href) {
      window.location.assign(href);
      return;
    }
    if (opener && opener.isConnected) {
      opener.focus();
    }
    opener = null;
  }

  // ---- e. Dropdowns ---------------------------------------------------------

  // closeDropdowns closes every open dropdown that does not contain target.
  function closeDropdowns(target) {
    document.querySelectorAll("details[data-dropdown][open]").forEach(function (d) {
      if (!target || !d.contains(target)) {
        d.removeAttribute("open");
      }
    });
  }

  document.addEventListener("click", function (event) {
    closeDropdowns(event.target instanceof Node ? event.target : null);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    // Escape on a guarded dialog asks instead of closing it; stopping the
    // key here keeps the browser from closing it before "cancel" can.
    var guarded = document.querySelector("dialog[data-guard][open]");
    if (guarded) {
      event.preventDefault();
      guardPrompt(guarded);
      return;
    }
    var open = document.querySelector("details[data-dropdown][open]");
    if (open) {
      open.removeAttribute("open");
      var summary = open.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    }
  });

  // ---- f. Theme ------------------------------------------------------------

  var THEME_KEY = "latchkey-theme";
  var THEME_LABELS = {
    "": "Theme: follows the system",
    dark: "Theme: dark",
    light: "Theme: light",
  };

  function storedTheme() {
    try {
      var t = window.localStorage.getItem(THEME_KEY);
      return t === "dark" || t === "light" ? t : "";
    } catch (e) {
      return ""; // Storage refused (private mode): follow the system.
    }
  }

  // applyTheme puts the choice on <html>, where the stylesheet's palette
  // looks for it; no class means the system's preference decides.
  function applyTheme(theme) {
    var root = document.documentElement;
    root.classList.toggle("dark", theme === "dark");
    root.classList.toggle("light", theme === "light");
    document.querySelectorAll("[data-theme-toggle]").forEach(function (b) {
      b.setAttribute("aria-label", THEME_LABELS[theme]);
      b.setAttribute("title", THEME_LABELS[theme]);
      b.dataset.theme = theme || "system";
    });
  }

  function cycleTheme() {
    var next = { "": "dark", dark: "light", light: "" }[storedTheme()];
    try {
      if (next) {
        window.localStorage.setItem(THEME_KEY, next);
      } else {
        window.localStorage.removeItem(THEME_KEY);
      }
    } catch (e) {
      // Not remembered, but applied for this page all the same.
    }
    applyTheme(next);
  }

  applyTheme(storedTheme());

  // ---- Wiring ---------------------------------------------------------------

  // refresh brings state that depends on the DOM (not on an event) up to
  // date for newly present content. It is idempotent.
  function refresh(root) {
    within(root, "input[data-confirm-match]").forEach(syncConfirmMatch);
    within(root, "input[data-enables]").forEach(syncEnables);
    within(root, "input[data-shows], input[data-hides]").forEach(syncToggle);
    within(root, "select[data-none-hides]").forEach(syncNoneHides);
    within(root, "dialog[data-auto-open]").forEach(autoOpen);
    // Controls that only work with this script stay hidden without it.
    within(root, "[data-js-only]").forEach(function (el) {
      el.hidden = false;
    });
    if (root === document) {
      applyTheme(storedTheme());
    }
  }

  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) {
      return;
    }
    if (event.target.closest("[data-theme-toggle]")) {
      cycleTheme();
      return;
    }
    var opening = event.target.closest('[hx-target="#dialog-slot"]');
    if (opening) {
      opener = opening;
    }
    // A click on the backdrop lands on the dialog element itself, outside
    // its box: a guarded dialog asks before it closes.
    if (event.target instanceof HTMLDialogElement && event.target.hasAttribute("data-guard")) {
      var box = event.target.getBoundingClientRect();
      var inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) {
        guardPrompt(event.target);
        return;
      }
    }
    var keep = event.target.closest("[data-guard-keep]");
    if (keep) {
      var kept = keep.closest("dialog");
      var prompt = keep.closest("[data-guard-prompt]");
      if (prompt) {
        prompt.hidden = true;
      }
      var copyButton = kept && kept.querySelector("[data-copy]");
      if (copyButton) {
        copyButton.focus();
      }
      return;
    }
    var discard = event.target.closest("[data-guard-discard]");
    if (discard) {
      var discarded = discard.closest("dialog");
      if (discarded) {
        allowClose(discarded);
      }
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      // A copy button inside a form must not submit it.
      event.preventDefault();
      onCopyClick(copy);
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) {
        // An explicit closer (OK, Cancel) is the person's choice.
        dialog.dataset.guardReleased = "true";
        // The closer may be a link kept for no-JS users; closing the dialog
        // (and following data-close-href) replaces following the link.
        event.preventDefault();
        dialog.close();
        // That holds only when the page is already the link's target, as
        // for a dialog htmx swapped in. A dialog opened by its own URL (as
        // a page) would otherwise leave that URL in the address bar, and a
        // reload would open it again: follow the link after all.
        if (
          closer instanceof HTMLAnchorElement &&
          closer.href &&
          !dialog.hasAttribute("data-close-href") &&
          closer.href !== window.location.href.split("#")[0]
        ) {
          window.location.assign(closer.href);
        }
      }
    }
  });

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.hasAttribute("data-confirm-match")) {
      syncConfirmMatch(el);
    }
    if (el instanceof HTMLInputElement && el.hasAttribute("data-selects")) {
      syncSelects(el);
    }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.hasAttribute("data-enables")) {
      syncEnables(el);
    }
    if (el instanceof HTMLInputElement && (el.hasAttribute("data-shows") || el.hasAttribute("data-hides"))) {
      syncToggle(el);
    }
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-none-hides")) {
      syncNoneHides(el);
    }
    if (el instanceof HTMLInputElement && el.type === "file" && el.hasAttribute("data-fills")) {
      fillFromFile(el);
    }
    if (el instanceof HTMLInputElement && el.hasAttribute("data-selects")) {
      syncSelects(el);
    }
  });

  // syncSelects ticks the radio an input belongs to once it holds a value
  // (a date picked from the calendar fires change, a typed one input).
  function syncSelects(input) {
    var radio = byId(input.getAttribute("data-selects"));
    if (radio instanceof HTMLInputElement && input.value) {
      radio.checked = true;
    }
  }

  // fillFromFile reads the chosen file as text into the textarea it names,
  // so a PEM file need not be opened and pasted by hand.
  function fillFromFile(input) {
    var target = byId(input.getAttribute("data-fills"));
    var file = input.files && input.files[0];
    if (!target || !file) {
      return;
    }
    file.text().then(function (text) {
      target.value = text;
      target.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  document.addEventListener(COPIED_EVENT, onCopied);

  // "close" does not bubble; a capturing listener on document still sees it.
  document.addEventListener("close", onDialogClose, true);
  document.addEventListener("cancel", onDialogCancel, true);

  // Capture phase, so this runs before htmx's own submit listener on the
  // form; stopping propagation then prevents an hx-post request as well as
  // the native submission.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) {
        return;
      }
      var message = form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // The bell refreshes itself by replacing its <details>: one that was
  // open stays open, so a poll never snatches the list from under a reader.
  var bellWasOpen = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "notification-menu") {
      bellWasOpen = target.open;
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    var bell = byId("notification-menu");
    if (bell && bellWasOpen) {
      bell.open = true;
    }
    bellWasOpen = false;
  });

  document.addEventListener("htmx:load", function (event) {
    refresh(event.target);
  });

  // Pages restored from the back/forward cache keep form values the user had
  // typed; recompute button states for them.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      refresh(document);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      refresh(document);
    });
  } else {
    refresh(document);
  }
})();
