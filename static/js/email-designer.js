/* The email designer of the step editor (dashboard/step_edit.html): per language, a list of blocks to add
   from a palette, reorder (drag and drop with SortableJS, or the up/down buttons), edit and delete, with an
   undo history (the Undo button or Ctrl+Z). Every change is written as JSON into the form's hidden `design`
   field, so saving, previews and test sends all post what the merchant sees; the server validates it all
   again. The desktop and phone previews are rendered by the server (step_preview, JSON) into sandboxed
   frames. All words shown come from the page (the `designer-config` JSON), translated there. */
(function () {
  "use strict";

  var TOKEN = /\{\{\s*([a-z_]+\.[a-z_]+)\s*(?:\|\s*default\s*:\s*"([^"{}%\\\r\n]*)"\s*)?\}\}/g;
  var RICH_TAGS = { P: 1, BR: 1, STRONG: 1, B: 1, EM: 1, I: 1, U: 1, A: 1, UL: 1, OL: 1, LI: 1, H2: 1, H3: 1, SPAN: 1 };
  var HISTORY_LIMIT = 100;

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function clone(value) {
    return JSON.parse(JSON.stringify(value));
  }

  function newId() {
    return "b" + Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4);
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === false || value === null || value === undefined) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  ready(function () {
    var source = document.getElementById("designer-config");
    var form = document.getElementById("step-form");
    var root = document.getElementById("designer");
    if (!source || !form || !root) return;
    var config = JSON.parse(source.textContent);
    var S = config.strings;
    var designInput = form.querySelector('input[name="design"]');
    var editorInput = form.querySelector('input[name="editor"]');
    var languageSelect = form.querySelector("[data-designer-language]");
    var modeSwitch = form.querySelector("[data-designer-mode]");
    var list = root.querySelector("[data-designer-list]");
    var undoButton = root.querySelector("[data-designer-undo]");
    var copyButton = root.querySelector("[data-designer-copy]");
    var startButton = root.querySelector("[data-designer-start]");
    var empty = root.querySelector("[data-designer-empty]");
    var status = root.querySelector("[data-designer-status]");
    var kinds = {};
    config.blocks.forEach(function (kind) {
      kinds[kind.type] = kind;
    });
    var variableLabels = {};
    config.variables.forEach(function (variable) {
      variableLabels[variable.name] = variable.label;
    });

    var state = {
      design: clone(config.design || {}),
      // What the controls say now: changed before this script ran (a slow load) or restored by the browser
      // on going back, they win over what the server rendered.
      language: languageSelect.value,
      editor: modeSwitch.checked ? "html" : "blocks",
    };
    var problems = config.problems || [];
    var history = [];
    var lastPush = { key: null, at: 0 };
    var openBlocks = {};

    function blocks() {
      if (!state.design[state.language]) state.design[state.language] = [];
      return state.design[state.language];
    }

    function withIds(items) {
      return items.map(function (block) {
        var copy = clone(block);
        copy.id = newId();
        return copy;
      });
    }

    Object.keys(state.design).forEach(function (language) {
      (state.design[language] || []).forEach(function (block) {
        if (!block.id) block.id = newId();
      });
    });
    problems.forEach(function (problem) {
      var items = state.design[problem.language] || [];
      if (problem.index !== null && items[problem.index]) openBlocks[items[problem.index].id] = true;
    });

    function announce(message) {
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = message;
      }, 30);
    }

    function blockName(block, index) {
      var kind = kinds[block.type];
      return format(S.block_n, { number: index + 1, block: kind ? kind.label : block.type });
    }

    // --- History -------------------------------------------------------------------------------
    function remember(key) {
      var now = Date.now();
      if (key && key === lastPush.key && now - lastPush.at < 1500) {
        lastPush.at = now;
        return; // typing in one field is one change
      }
      history.push(JSON.stringify(state.design));
      if (history.length > HISTORY_LIMIT) history.shift();
      lastPush = { key: key || null, at: now };
      undoButton.disabled = false;
    }

    function undo() {
      if (!history.length) {
        announce(S.nothing_to_undo);
        return;
      }
      state.design = JSON.parse(history.pop());
      lastPush = { key: null, at: 0 };
      undoButton.disabled = !history.length;
      problems = [];
      render();
      changed();
      announce(S.undone);
    }

    // --- Writing the form and asking for previews -------------------------------------------------
    function sync() {
      var design = {};
      Object.keys(state.design).forEach(function (language) {
        if ((state.design[language] || []).length) design[language] = state.design[language];
      });
      designInput.value = JSON.stringify(design);
      editorInput.value = state.editor;
    }

    var previewTimer = null;
    function changed() {
      sync();
      window.clearTimeout(previewTimer);
      previewTimer = window.setTimeout(preview, 450);
    }

    // --- Rich text ---------------------------------------------------------------------------------
    function chip(name, fallback) {
      var node = el("span", {
        className: "chip",
        contenteditable: "false",
        "data-variable": name,
        "data-fallback": fallback || null,
        text: variableLabels[name] || name,
      });
      return node;
    }

    function cleanInto(target, html) {
      // Parsed inert (a template element), then rebuilt with the tags the server keeps: nothing of the
      // stored HTML runs or loads here.
      var template = document.createElement("template");
      template.innerHTML = html || "";
      function copyChildren(from, to) {
        Array.prototype.forEach.call(from.childNodes, function (node) {
          if (node.nodeType === 3) {
            appendText(to, node.nodeValue);
          } else if (node.nodeType === 1) {
            if (RICH_TAGS[node.tagName]) {
              var copy = document.createElement(node.tagName.toLowerCase());
              var href = node.tagName === "A" ? node.getAttribute("href") || "" : "";
              if (href && /^(https?:|mailto:)/i.test(href)) copy.setAttribute("href", href);
              copyChildren(node, copy);
              to.appendChild(copy);
            } else {
              copyChildren(node, to);
            }
          }
        });
      }
      copyChildren(template.content, target);
    }

    function appendText(target, text) {
      var position = 0;
      text.replace(TOKEN, function (match, name, fallback, offset) {
        if (offset > position) target.appendChild(document.createTextNode(text.slice(position, offset)));
        target.appendChild(variableLabels[name] ? chip(name, fallback) : document.createTextNode(match));
        position = offset + match.length;
        return match;
      });
      if (position < text.length) target.appendChild(document.createTextNode(text.slice(position)));
    }

    function serialise(editor) {
      var copy = editor.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll(".chip"), function (node) {
        var fallback = node.getAttribute("data-fallback");
        var name = node.getAttribute("data-variable");
        var token = fallback ? "{{ " + name + '|default:"' + fallback + '" }}' : "{{ " + name + " }}";
        node.parentNode.replaceChild(document.createTextNode(token), node);
      });
      [["b", "strong"], ["i", "em"]].forEach(function (pair) {
        Array.prototype.forEach.call(copy.querySelectorAll(pair[0]), function (node) {
          var better = document.createElement(pair[1]);
          while (node.firstChild) better.appendChild(node.firstChild);
          node.parentNode.replaceChild(better, node);
        });
      });
      var html = copy.innerHTML.replace(/<br>$/, "").trim();
      return html === "<p></p>" || html === "<p><br></p>" ? "" : html;
    }

    function insertNodeAtCaret(editor, node) {
      editor.focus();
      var selection = window.getSelection();
      var range = selection.rangeCount ? selection.getRangeAt(0) : null;
      if (!range || !editor.contains(range.commonAncestorContainer)) {
        range = document.createRange();
        var last = editor.lastElementChild && /^(P|LI|H2|H3)$/.test(editor.lastElementChild.tagName)
          ? editor.lastElementChild
          : editor;
        range.selectNodeContents(last);
        range.collapse(false);
      }
      range.deleteContents();
      var space = document.createTextNode("\u00a0");
      range.insertNode(space);
      range.insertNode(node);
      range.setStartAfter(space);
      range.collapse(true);
      selection.removeAllRanges();
      selection.addRange(range);
    }

    // --- One block's settings ----------------------------------------------------------------------
    function variablePicker(id, onPick) {
      var select = el("select", { id: id, className: "variable-picker", "aria-label": S.insert_variable }, [
        el("option", { value: "", text: S.insert_variable + "…" }),
      ]);
      config.variables.forEach(function (variable) {
        select.appendChild(el("option", { value: variable.name, text: variable.label }));
      });
      select.addEventListener("change", function () {
        if (select.value) onPick(select.value);
        select.value = "";
      });
      return select;
    }

    function readable(text) {
      var line = el("p", { className: "readable small", "aria-hidden": "true" });
      function update(value) {
        line.textContent = "";
        TOKEN.lastIndex = 0;
        if (!TOKEN.test(value)) {
          line.hidden = true;
          return;
        }
        line.hidden = false;
        appendText(line, value);
      }
      update(text || "");
      return { node: line, update: update };
    }

    function showProblems() {
      // Beside the setting when there is one, else under the block's name; rebuilt in place, so a field
      // being typed in keeps its focus.
      Array.prototype.forEach.call(root.querySelectorAll(".problem-note"), function (node) {
        node.remove();
      });
      Array.prototype.forEach.call(root.querySelectorAll(".field.has-problem-field"), function (node) {
        node.classList.remove("has-error", "has-problem-field");
      });
      var general = root.querySelector("[data-designer-problems]");
      general.textContent = "";
      general.hidden = true;
      var items = blocks();
      Array.prototype.forEach.call(list.children, function (item, index) {
        var block = items[index];
        var mine = problems.filter(function (p) {
          return p.language === state.language && p.index === index;
        });
        item.classList.toggle("has-problem", mine.length > 0);
        mine.forEach(function (problem) {
          var input = block && problem.field ? document.getElementById("block-" + block.id + "-" + problem.field) : null;
          var field = input ? input.closest(".field") : null;
          if (field && !item.querySelector(".block-settings").hidden) {
            field.classList.add("has-error", "has-problem-field");
            field.appendChild(el("p", { className: "errorlist problem-note", text: problem.message }));
          } else {
            var note = el("p", { className: "block-problem problem-note", text: problem.message });
            item.insertBefore(note, item.querySelector(".block-settings"));
          }
        });
      });
      problems
        .filter(function (p) {
          return p.language === state.language && (p.index === null || p.index >= items.length);
        })
        .forEach(function (problem) {
          general.appendChild(el("p", { text: problem.message }));
          general.hidden = false;
        });
    }

    function settingsFor(block, index) {
      var kind = kinds[block.type];
      var box = el("div", { className: "block-settings form-grid", id: "settings-" + block.id });
      if (!kind) return box;
      var urlField = null;
      kind.fields.forEach(function (field) {
        var id = "block-" + block.id + "-" + field.name;
        var value = block[field.name];
        var wrapper = el("div", { className: "field" + (field.kind === "rich" || field.kind === "text" || field.kind === "url" ? " wide" : "") });
        function set(newValue, key) {
          remember(block.id + ":" + field.name + (key || ""));
          block[field.name] = newValue;
          refreshSummary(block);
          changed();
        }
        if (field.kind === "checkbox") {
          var box_ = el("input", { type: "checkbox", id: id, checked: !!value });
          box_.addEventListener("change", function () {
            set(box_.checked, ":" + Date.now());
          });
          wrapper = el("div", { className: "field wide" }, [el("label", { className: "check", for: id }, [box_, " " + field.label])]);
        } else if (field.kind === "select") {
          var select = el("select", { id: id });
          field.choices.forEach(function (choice) {
            select.appendChild(el("option", { value: String(choice[0]), text: choice[1], selected: String(choice[0]) === String(value) }));
          });
          select.addEventListener("change", function () {
            var chosen = field.choices.filter(function (c) {
              return String(c[0]) === select.value;
            })[0];
            set(chosen ? chosen[0] : select.value, ":" + Date.now());
            if (field.name === "link" && urlField) urlField.hidden = select.value !== "custom";
          });
          wrapper.appendChild(el("label", { for: id, text: field.label }));
          wrapper.appendChild(select);
        } else if (field.kind === "number") {
          var number = el("input", { type: "number", id: id, value: value, min: field.min, max: field.max, inputmode: "numeric" });
          number.addEventListener("input", function () {
            if (number.value === "") return;
            set(parseInt(number.value, 10));
          });
          wrapper.appendChild(el("label", { for: id, text: field.label }));
          wrapper.appendChild(number);
        } else if (field.kind === "rich") {
          var labelId = id + "-label";
          var editor = el("div", {
            className: "rich-editor",
            id: id,
            contenteditable: "true",
            role: "textbox",
            "aria-multiline": "true",
            "aria-labelledby": labelId,
            spellcheck: "true",
          });
          cleanInto(editor, value || "");
          if (!editor.firstChild) editor.appendChild(el("p", {}, [el("br")]));
          var commit = function () {
            set(serialise(editor));
          };
          var toolbar = el("div", { className: "rich-toolbar", role: "toolbar", "aria-label": S.text_toolbar, "aria-controls": id });
          [
            ["bold", "B", S.bold],
            ["italic", "I", S.italic],
            ["createLink", S.link, S.link],
            ["insertUnorderedList", "•", S.bullets],
          ].forEach(function (tool) {
            var button = el("button", { type: "button", className: "tool tool-" + tool[0], "aria-label": tool[2], title: tool[2], text: tool[1] });
            button.addEventListener("mousedown", function (event) {
              event.preventDefault(); // keep the selection in the text
            });
            button.addEventListener("click", function () {
              editor.focus();
              if (tool[0] === "createLink") {
                var address = window.prompt(S.link_prompt, "https://");
                if (!address || !/^(https?:\/\/|mailto:)/i.test(address)) return;
                document.execCommand("createLink", false, address);
              } else {
                document.execCommand(tool[0], false, null);
              }
              commit();
            });
            toolbar.appendChild(button);
          });
          toolbar.appendChild(
            variablePicker(id + "-variable", function (name) {
              insertNodeAtCaret(editor, chip(name, ""));
              commit();
            })
          );
          editor.addEventListener("input", commit);
          editor.addEventListener("paste", function (event) {
            // Pasted as plain text: no foreign styles or markup in the email.
            event.preventDefault();
            var text = (event.clipboardData || window.clipboardData).getData("text/plain");
            document.execCommand("insertText", false, text);
          });
          wrapper.appendChild(el("span", { className: "field-label", id: labelId, text: field.label }));
          wrapper.appendChild(toolbar);
          wrapper.appendChild(editor);
        } else {
          var input = el("input", {
            type: field.kind === "url" ? "url" : "text",
            id: id,
            value: value || "",
            maxlength: field.maxlength,
            inputmode: field.kind === "url" ? "url" : null,
            autocomplete: "off",
          });
          var line = readable(value);
          var caret = null;
          input.addEventListener("input", function () {
            line.update(input.value);
            set(input.value);
          });
          input.addEventListener("blur", function () {
            caret = [input.selectionStart, input.selectionEnd];
          });
          wrapper.appendChild(el("label", { for: id, text: field.label }));
          if (field.variables && config.variables.length) {
            var row = el("div", { className: "input-with-variables" }, [input]);
            row.appendChild(
              variablePicker(id + "-variable", function (name) {
                var token = "{{ " + name + " }}";
                var at = caret || [input.value.length, input.value.length];
                input.value = input.value.slice(0, at[0]) + token + input.value.slice(at[1]);
                var end = at[0] + token.length;
                input.focus();
                input.setSelectionRange(end, end);
                caret = [end, end];
                line.update(input.value);
                set(input.value, ":variable" + Date.now());
              })
            );
            wrapper.appendChild(row);
          } else {
            wrapper.appendChild(input);
          }
          wrapper.appendChild(line.node);
          if (field.name === "url" && block.type === "button") {
            urlField = wrapper;
            wrapper.hidden = block.link !== "custom";
          }
        }
        box.appendChild(wrapper);
      });
      return box;
    }

    function summaryOf(block) {
      var text = block.text || block.label || block.title || block.question || "";
      if (!text && block.html) {
        var scratch = document.createElement("div");
        cleanInto(scratch, block.html);
        text = Array.prototype.map
          .call(scratch.childNodes, function (node) {
            return node.textContent;
          })
          .join(" ");
      }
      return text.replace(TOKEN, function (_, name) {
        return "[" + (variableLabels[name] || name) + "]";
      });
    }

    function refreshSummary(block) {
      var node = list.querySelector('li[data-id="' + block.id + '"] .block-summary');
      if (node) node.textContent = summaryOf(block);
    }

    // --- The list ------------------------------------------------------------------------------------
    function render() {
      var items = blocks();
      list.textContent = "";
      items.forEach(function (block, index) {
        var kind = kinds[block.type];
        var name = blockName(block, index);
        var isOpen = !!openBlocks[block.id];
        var toggle = el(
          "button",
          {
            type: "button",
            className: "block-toggle",
            "aria-expanded": isOpen ? "true" : "false",
            "aria-controls": "settings-" + block.id,
            "aria-label": format(S.edit_block, { block: name }),
          },
          [
            el("span", { className: "block-kind", text: kind ? kind.label : block.type }),
            el("span", { className: "block-summary", text: summaryOf(block) }),
          ]
        );
        var up = el("button", { type: "button", className: "icon-button", "aria-label": format(S.move_up, { block: name }), disabled: index === 0, text: "↑" });
        var down = el("button", {
          type: "button",
          className: "icon-button",
          "aria-label": format(S.move_down, { block: name }),
          disabled: index === items.length - 1,
          text: "↓",
        });
        var remove = el("button", { type: "button", className: "icon-button danger-icon", "aria-label": format(S.delete_block, { block: name }), text: "✕" });
        var settings = settingsFor(block, index);
        settings.hidden = !isOpen;
        var item = el("li", { className: "block" + (isOpen ? " is-open" : ""), "data-id": block.id }, [
          el("div", { className: "block-head" }, [
            el("span", { className: "block-handle", "aria-hidden": "true", title: S.drag, text: "⋮⋮" }),
            toggle,
            el("div", { className: "block-actions" }, [up, down, remove]),
          ]),
        ]);
        item.appendChild(settings);
        toggle.addEventListener("click", function () {
          openBlocks[block.id] = !openBlocks[block.id];
          settings.hidden = !openBlocks[block.id];
          toggle.setAttribute("aria-expanded", openBlocks[block.id] ? "true" : "false");
          item.classList.toggle("is-open", !!openBlocks[block.id]);
          showProblems();
        });
        up.addEventListener("click", function () {
          move(index, index - 1, true);
        });
        down.addEventListener("click", function () {
          move(index, index + 1, true);
        });
        remove.addEventListener("click", function () {
          remember();
          items.splice(index, 1);
          problems = [];
          render();
          changed();
          announce(format(S.deleted, { block: name }));
          var next = list.querySelectorAll(".block-toggle")[Math.min(index, items.length - 1)];
          (next || root.querySelector("[data-add-block]")).focus();
        });
        list.appendChild(item);
      });
      var hasBlocks = items.length > 0;
      var defaultBlocks = (state.design[config.default_language] || []).length > 0;
      var isDefault = state.language === config.default_language;
      empty.hidden = hasBlocks;
      Array.prototype.forEach.call(empty.querySelectorAll("[data-when]"), function (node) {
        node.hidden = node.getAttribute("data-when") !== (isDefault || !defaultBlocks ? "default" : "other");
      });
      copyButton.hidden = isDefault || !defaultBlocks;
      startButton.hidden = hasBlocks;
      showProblems();
    }

    function move(from, to, focus) {
      var items = blocks();
      if (to < 0 || to >= items.length || from === to) return;
      remember();
      var block = items.splice(from, 1)[0];
      items.splice(to, 0, block);
      problems = [];
      render();
      changed();
      announce(format(S.moved, { block: (kinds[block.type] || {}).label || block.type, number: to + 1 }));
      if (focus) {
        var item = list.querySelector('li[data-id="' + block.id + '"]');
        var buttons = item.querySelectorAll(".block-actions .icon-button");
        var target = to < from ? buttons[0] : buttons[1];
        (target && !target.disabled ? target : item.querySelector(".block-toggle")).focus();
      }
    }

    if (typeof Sortable !== "undefined") {
      root.classList.add("can-drag");
      Sortable.create(list, {
        handle: ".block-handle",
        animation: 150,
        ghostClass: "block-ghost",
        onEnd: function (event) {
          if (event.oldIndex === event.newIndex) return;
          // Put the node back and let the state re-render it: one source of truth.
          var items = blocks();
          remember();
          var block = items.splice(event.oldIndex, 1)[0];
          items.splice(event.newIndex, 0, block);
          problems = [];
          render();
          changed();
          announce(format(S.moved, { block: (kinds[block.type] || {}).label || block.type, number: event.newIndex + 1 }));
        },
      });
    }

    // --- Palette, copy, start, language, mode ---------------------------------------------------------
    Array.prototype.forEach.call(root.querySelectorAll("[data-add-block]"), function (button) {
      button.addEventListener("click", function () {
        var kind = kinds[button.getAttribute("data-add-block")];
        remember();
        var block = clone(kind.defaults);
        block.id = newId();
        var items = blocks();
        // Before the footer, where a new block belongs.
        var at = items.length && items[items.length - 1].type === "footer" ? items.length - 1 : items.length;
        items.splice(at, 0, block);
        openBlocks[block.id] = kind.fields.length > 0;
        problems = [];
        render();
        changed();
        announce(format(S.added, { block: kind.label }));
        var item = list.querySelector('li[data-id="' + block.id + '"]');
        var first = item.querySelector(".block-settings input, .block-settings select, .block-settings [contenteditable=true]");
        (first || item.querySelector(".block-toggle")).focus();
      });
    });

    copyButton.addEventListener("click", function () {
      remember();
      state.design[state.language] = withIds(state.design[config.default_language] || []);
      problems = [];
      render();
      changed();
      var name = (config.languages.filter(function (l) { return l.code === config.default_language; })[0] || {}).name;
      announce(format(S.copied, { language: name }));
    });

    startButton.addEventListener("click", function () {
      remember();
      state.design[state.language] = withIds((config.starters || {})[state.language] || []);
      render();
      changed();
      announce(S.started);
    });

    undoButton.addEventListener("click", undo);
    document.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.shiftKey || event.key.toLowerCase() !== "z") return;
      if (state.editor !== "blocks") return;
      var target = event.target;
      var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA)$/.test(target.tagName));
      if (typing && target.type !== "checkbox") return; // the field's own undo first
      event.preventDefault();
      undo();
    });

    function showLanguage() {
      Array.prototype.forEach.call(form.querySelectorAll(".language-panel"), function (panel) {
        panel.hidden = panel.getAttribute("data-language") !== state.language;
      });
      render();
    }

    languageSelect.addEventListener("change", function () {
      state.language = languageSelect.value;
      showLanguage();
      changed();
    });

    function showMode() {
      var html = state.editor === "html";
      root.hidden = html;
      Array.prototype.forEach.call(form.querySelectorAll(".html-only"), function (node) {
        node.hidden = !html;
      });
    }

    modeSwitch.addEventListener("change", function () {
      state.editor = modeSwitch.checked ? "html" : "blocks";
      showMode();
      changed();
    });

    form.addEventListener("input", function (event) {
      if (!root.contains(event.target)) changed(); // subject, preheader, HTML body, incentive…
    });
    form.addEventListener("change", function (event) {
      if (!root.contains(event.target) && event.target !== languageSelect && event.target !== modeSwitch) changed();
    });
    form.addEventListener("submit", sync);

    // --- Previews ------------------------------------------------------------------------------------
    var frames = Array.prototype.slice.call(document.querySelectorAll("[data-preview-frame]"));
    var subject = document.querySelector("[data-preview-subject]");
    var preheader = document.querySelector("[data-preview-preheader]");
    var previewState = document.querySelector("[data-preview-state]");
    var previewError = document.querySelector("[data-preview-error]");
    var devices = document.querySelector(".devices");
    var sequence = 0;

    function preview() {
      sync();
      var mine = ++sequence;
      previewState.textContent = S.rendering;
      var data = new FormData(form);
      fetch(config.preview_url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (answer) {
          if (mine !== sequence) return;
          problems = answer.problems || [];
          showProblems();
          if (problems.length) {
            previewState.textContent = S.fix_blocks;
            previewError.hidden = true;
            return;
          }
          if (answer.error) {
            previewError.textContent = format(S.preview_failed, { problem: answer.error });
            previewError.hidden = false;
            previewState.textContent = "";
            return;
          }
          previewError.hidden = true;
          subject.textContent = answer.subject;
          preheader.textContent = answer.preheader;
          frames.forEach(function (frame) {
            frame.src = answer.frame;
          });
          previewState.textContent = S.updated;
          document.documentElement.setAttribute("data-preview-count", String(sequence));
        })
        .catch(function (error) {
          if (mine !== sequence) return;
          previewError.textContent = format(S.preview_failed, { problem: error.message });
          previewError.hidden = false;
          previewState.textContent = "";
        });
    }

    function fit() {
      // Both devices at one scale, side by side while they stay readable; stacked when they would not.
      var style = window.getComputedStyle(devices);
      var width = devices.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      var frames_ = 16 + 2 + 12; // the gap between the devices and their borders
      var side = (width - frames_) / 960;
      devices.classList.toggle("stacked", side < 0.5);
      Array.prototype.forEach.call(devices.querySelectorAll(".device"), function (device) {
        var native = parseInt(device.getAttribute("data-width"), 10);
        var border = device.classList.contains("device-phone") ? 12 : 2;
        var scale = side >= 0.5 ? Math.min(1, side) : Math.min(1, (width - border) / native);
        var frame = device.querySelector("iframe");
        var screen = device.querySelector(".device-screen");
        frame.style.width = native + "px";
        frame.style.transform = "scale(" + scale + ")";
        screen.style.width = Math.round(native * scale) + "px";
        screen.style.height = Math.round(frame.offsetHeight * scale) + "px";
      });
    }

    var fitted = 0;
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (devices.clientWidth !== fitted) {
          fitted = devices.clientWidth;
          fit();
        }
      }).observe(devices);
    }
    window.addEventListener("resize", fit);

    // The subject and preheader: variables from the list too, shown readable under the field.
    Array.prototype.forEach.call(form.querySelectorAll('.language-panel input[name^="subject_"], .language-panel input[name^="preheader_"]'), function (input) {
      if (!config.variables.length) return;
      var line = readable(input.value);
      var caret = null;
      var row = el("div", { className: "input-with-variables" });
      input.parentNode.insertBefore(row, input);
      row.appendChild(input);
      row.appendChild(
        variablePicker(input.id + "-variable", function (name) {
          var token = "{{ " + name + " }}";
          var at = caret || [input.value.length, input.value.length];
          input.value = input.value.slice(0, at[0]) + token + input.value.slice(at[1]);
          var end = at[0] + token.length;
          input.focus();
          input.setSelectionRange(end, end);
          caret = [end, end];
          input.dispatchEvent(new Event("input", { bubbles: true }));
        })
      );
      row.parentNode.insertBefore(line.node, row.nextSibling);
      input.addEventListener("input", function () {
        line.update(input.value);
      });
      input.addEventListener("blur", function () {
        caret = [input.selectionStart, input.selectionEnd];
      });
    });

    showMode();
    showLanguage();
    sync();
    fit();
    preview();
  });
})();
