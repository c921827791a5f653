import { render } from 'preact';
import './styles.css';
import { App } from './app.tsx';
import { readSettings } from './settings.ts';

render(<App settings={readSettings(document)} />, document.getElementById('app')!);
