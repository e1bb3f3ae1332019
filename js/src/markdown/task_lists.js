// GFM task lists: a markdown-it plugin (a core rule after the inline pass) that reads
// "- [ ] todo" and "- [x] done" as a list item with a checkbox. The item's first text
// loses its "[ ] " marker and gets a `task_checkbox` token in front (dom.js makes a
// disabled checkbox of it); the item is marked `task-list-item` and its list
// `contains-task-list`, the class names GitHub uses.

const MARKER = /^\[([ xX])\][ \t]/;

function taskLists(state) {
  const { tokens } = state;
  for (let i = 2; i < tokens.length; i += 1) {
    const inline = tokens[i];
    if (inline.type !== "inline" || tokens[i - 1].type !== "paragraph_open" || tokens[i - 2].type !== "list_item_open") continue;
    const first = inline.children[0];
    const match = first?.type === "text" ? MARKER.exec(first.content) : null;
    if (!match) continue;
    first.content = first.content.slice(match[0].length);
    const box = new state.Token("task_checkbox", "input", 0);
    box.meta = { checked: match[1] !== " " };
    inline.children.unshift(box);
    const item = tokens[i - 2];
    item.attrJoin("class", "task-list-item");
    for (let j = i - 3; j >= 0; j -= 1) {
      const t = tokens[j];
      if (t.level === item.level - 1 && (t.type === "bullet_list_open" || t.type === "ordered_list_open")) {
        if (!(t.attrGet("class") || "").includes("contains-task-list")) t.attrJoin("class", "contains-task-list");
        break;
      }
    }
  }
}

/** The plugin: md.use(taskListSyntax). */
export function taskListSyntax(md) {
  md.core.ruler.after("inline", "task_lists", taskLists);
}
