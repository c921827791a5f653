import type { ComponentChildren } from 'preact';
import { linkClick } from '../router.ts';

/** An in-app link: a real <a href> (keyboard, middle-click, copy link) that navigates in place. */
export interface AppLinkProps {
  href: string;
  children: ComponentChildren;
  class?: string;
  title?: string;
  'aria-label'?: string;
  'aria-current'?: 'page' | undefined;
}

export function AppLink({ href, children, ...rest }: AppLinkProps) {
  return (
    <a href={href} onClick={(e) => linkClick(e as unknown as MouseEvent, href)} {...rest}>
      {children}
    </a>
  );
}
