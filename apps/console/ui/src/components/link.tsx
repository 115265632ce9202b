import type { ComponentChildren } from 'preact';
import { navigate } from '../lib/router';

/** An ordinary link (open in a new tab works) that stays in the page on a plain click. */
export function Link(props: {
  href: string;
  children: ComponentChildren;
  class?: string;
  testid?: string;
}) {
  return (
    <a
      href={props.href}
      class={props.class}
      data-testid={props.testid}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}
