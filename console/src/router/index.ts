import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useAuth } from '@/stores/auth'

export const CITY = ['city_center', 'city_bureau', 'finance', 'admin'] as const
const ALL = ['unit', 'tenant', 'city_center', 'city_bureau', 'finance', 'admin'] as const

// meta.menu: shown in the side menu (only to meta.roles); every screen is its own chunk.
export const screens: RouteRecordRaw[] = [
  { path: 'dashboard', name: 'dashboard', component: () => import('@/views/DashboardView.vue'),
    meta: { title: '首页看板', menu: true, icon: 'DataAnalysis', roles: [...CITY, 'tenant'] } },
  { path: 'studios', name: 'studios', component: () => import('@/views/StudiosView.vue'),
    meta: { title: '工作室', menu: true, icon: 'OfficeBuilding', roles: ALL } },
  { path: 'studios/:id', name: 'studio', component: () => import('@/views/StudioDetailView.vue'),
    meta: { title: '工作室详情', roles: ALL } },
  { path: 'applications', name: 'applications', component: () => import('@/views/ApplicationsView.vue'),
    meta: { title: '申报管理', menu: true, icon: 'Document', roles: ['unit', 'tenant', 'city_center', 'city_bureau', 'admin'] } },
  { path: 'applications/new', name: 'application-new', component: () => import('@/views/ApplicationFormView.vue'),
    meta: { title: '填写申报表', roles: ['unit'] } },
  { path: 'applications/:id/edit', name: 'application-edit', component: () => import('@/views/ApplicationFormView.vue'),
    meta: { title: '修改申报表', roles: ['unit'] } },
  { path: 'applications/:id', name: 'application', component: () => import('@/views/ApplicationDetailView.vue'),
    meta: { title: '申报详情', roles: ['unit', 'tenant', 'city_center', 'city_bureau', 'admin', 'finance'] } },
  { path: 'reports', name: 'reports', component: () => import('@/views/ReportsView.vue'),
    meta: { title: '年度报告', menu: true, icon: 'Tickets', roles: ['tenant', 'city_center', 'city_bureau', 'admin'] } },
  { path: 'shortlist', name: 'shortlist', component: () => import('@/views/ShortlistView.vue'),
    meta: { title: '拟认定排序', menu: true, icon: 'Sort', roles: ['city_center', 'city_bureau', 'admin', 'finance'] } },
  { path: 'ledger', name: 'ledger', component: () => import('@/views/LedgerView.vue'),
    meta: { title: '资金对账', menu: true, icon: 'Money', roles: ['finance', 'city_center', 'city_bureau', 'admin', 'tenant'] } },
  { path: 'directory', name: 'directory', component: () => import('@/views/DirectoryView.vue'),
    meta: { title: '单位管理', menu: true, icon: 'School', roles: ['tenant', 'city_center', 'city_bureau', 'admin'] } },
  { path: 'users', name: 'users', component: () => import('@/views/UsersView.vue'),
    meta: { title: '用户管理', menu: true, icon: 'User', roles: ['tenant', 'admin'] } },
  { path: 'calendar', name: 'calendar', component: () => import('@/views/CalendarView.vue'),
    meta: { title: '工作日历', menu: true, icon: 'Calendar', roles: ['city_center', 'admin'] } },
  { path: 'supervision', name: 'supervision', component: () => import('@/views/SupervisionView.vue'),
    meta: { title: '监督检查', menu: true, icon: 'View', roles: ['unit', 'tenant', 'city_center', 'city_bureau', 'admin'] } },
  { path: 'summaries', name: 'summaries', component: () => import('@/views/SummaryView.vue'),
    meta: { title: '年度工作总结', menu: true, icon: 'Finished', roles: ['tenant', 'city_center', 'city_bureau', 'finance', 'admin'] } },
  { path: 'assessment', name: 'assessment', component: () => import('@/views/AssessmentView.vue'),
    meta: { title: '绩效考核', menu: true, icon: 'Trophy', roles: ALL } },
  { path: 'notifications', name: 'notifications', component: () => import('@/views/NotificationsView.vue'),
    meta: { title: '通知', menu: true, icon: 'Bell', roles: ALL } },
  { path: 'admin/dead-letters', name: 'dead-letters', component: () => import('@/views/DeadLettersView.vue'),
    meta: { title: '死信队列', menu: true, icon: 'Warning', roles: ['admin'] } },
  { path: 'admin/readiness', name: 'readiness', component: () => import('@/views/ReadinessView.vue'),
    meta: { title: '服务状态', menu: true, icon: 'Monitor', roles: ['admin'] } },
  { path: 'admin/clock', name: 'clock', component: () => import('@/views/ClockView.vue'),
    meta: { title: '演示时钟', menu: true, icon: 'Timer', roles: ['admin'] } },
]

export function homeFor(role: string): string {
  return (CITY as readonly string[]).includes(role) ? '/dashboard' : '/studios'
}

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { title: '登录', public: true } },
  { path: '/', component: () => import('@/views/LayoutView.vue'), children: [
    { path: '', name: 'home', redirect: () => homeFor(useAuth().role) },
    ...screens,
    { path: ':rest(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: '未找到' } },
  ] },
]

const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach((to) => {
  const auth = useAuth()
  if (to.meta.public) return true
  if (!auth.loggedIn) {
    // a navigation that was under way when a 401 ended the session keeps saying why
    const query: Record<string, string> = to.fullPath !== '/' ? { redirect: to.fullPath } : {}
    if (auth.expired) query.expired = '1'
    return { name: 'login', query }
  }
  const roles = to.meta.roles as readonly string[] | undefined
  if (roles && !roles.includes(auth.role)) return { name: 'not-found', params: { rest: to.path.slice(1).split('/') } }
  return true
})

router.afterEach((to) => {
  document.title = `${(to.meta.title as string) || ''} · 北京市技能大师工作室管理系统`
})

export default router
