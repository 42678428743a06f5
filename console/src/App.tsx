import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { decodeClaims, getToken, setToken, type Claims } from "./auth";
import { useRoute } from "./router";
import { Layout } from "./components/Layout";
import { SignInPage } from "./pages/SignInPage";
import { InboxPage } from "./pages/InboxPage";
import { StartListPage } from "./pages/StartListPage";
import { StartRequestPage } from "./pages/StartRequestPage";
import { MyRequestsPage } from "./pages/MyRequestsPage";
import { InstancePage } from "./pages/InstancePage";
import { DefinitionsPage } from "./pages/DefinitionsPage";
import { InstancesPage } from "./pages/InstancesPage";
import { NotFoundPage } from "./pages/NotFoundPage";

export function App() {
  const [claims, setClaims] = useState<Claims | null>(() => decodeClaims(getToken()));
  const queryClient = useQueryClient();
  const route = useRoute();

  const signIn = (token: string) => {
    setToken(token);
    queryClient.clear();
    setClaims(decodeClaims(token));
  };
  const signOut = () => {
    setToken(null);
    queryClient.clear();
    setClaims(null);
  };
  if (!claims) return <SignInPage onSignedIn={signIn} />;

  const [first, second, third, fourth] = route.segments;
  let page;
  if (!first || first === "inbox") page = <InboxPage query={route.query} />;
  else if (first === "start" && second) page = <StartRequestPage processId={second} />;
  else if (first === "start") page = <StartListPage />;
  else if (first === "requests") page = <MyRequestsPage query={route.query} />;
  else if (first === "instances" && second) page = <InstancePage me={claims} instanceId={second} taskId={third === "tasks" ? fourth : undefined} />;
  else if (first === "instances") page = <InstancesPage query={route.query} />;
  else if (first === "definitions") page = <DefinitionsPage me={claims} processId={second} query={route.query} />;
  else page = <NotFoundPage />;
  return (
    <Layout me={claims} onSignOut={signOut} current={first ?? "inbox"}>
      {page}
    </Layout>
  );
}
