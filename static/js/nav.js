// On a phone the sidebar is a menu: it starts closed there (it is open on wide screens, its button hidden).
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.querySelector("details.nav-menu");
  if (menu && window.matchMedia("(max-width: 900px)").matches) menu.open = false;
});
